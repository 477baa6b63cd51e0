"""Write the bundled multi-objective problems on HW-GPT-Bench's spaces (src/hwnas/studies/problems/*.yaml), their
normalisation bounds taken from the measured table: for each objective, the lowest and highest value of its column
over the table's measured rows (best first: lowest for a minimised metric). The hypervolume's reference point is
1.1 in normalised units on every objective (10% beyond the worst measured value, so the extreme archs of a front
still count), as is common practice.

Problems: HW-GPT-Bench's 2-D ones (perplexity against latency or energy on h100, rtx2080 and cpu_xeon_gold) and one
3-D problem (perplexity, latency and energy on the h100), for each of gpt-s, gpt-m and gpt-l.

    python benchmarks/make_bench_problems.py          # needs HWNAS_DATA_DIR (the table); rewrites the files
"""

from __future__ import annotations

import math

import numpy as np
import yaml

from hwnas.bench.benchmark import Benchmark
from hwnas.bench.store import file_sha256
from hwnas.data.registry import resolve
from hwnas.studies.problem import BUILTIN, Problem

DEVICES = ("h100", "rtx2080", "cpu_xeon_gold")
REFERENCE = 1.1


def bounds(bench: Benchmark, metric: str, device: str | None) -> list[float]:
    """[lowest, highest] measured value of (metric, device), rounded outwards to 4 significant digits."""
    values = bench.source(metric, device).values
    values = values[np.isfinite(values) & (values > 0)]
    low, high = float(values.min()), float(values.max())
    digits = 3 - math.floor(math.log10(abs(high)))
    step = 10.0**-digits
    return [round(math.floor(low / step) * step, 12), round(math.ceil(high / step) * step, 12)]


def problem(bench: Benchmark, name: str, objectives: list[tuple[str, str | None]], description: str) -> Problem:
    table = f"hwgptbench/hwgpt_{bench.scale[-1]}.csv.gz"
    sha = file_sha256(resolve("hwgptbench", f"hwgpt_{bench.scale[-1]}.csv.gz"))
    names = [m if d is None else f"{m}@{d}" for m, d in objectives]
    return Problem(
        name=name,
        space=bench.scale,
        description=description,
        objectives=[f"{n}:min" for n in names],
        bounds={
            n: tuple(round(v, 6) for v in bounds(bench, m, d)) for n, (m, d) in zip(names, objectives, strict=True)
        },
        reference=[REFERENCE] * len(names),
        provenance=f"bounds: lowest and highest measured value of each objective in {table} (sha256 {sha[:16]}...), "
        "written by benchmarks/make_bench_problems.py",
    )


def main() -> None:
    BUILTIN.mkdir(parents=True, exist_ok=True)
    written = []
    for scale in ("gpt-s", "gpt-m", "gpt-l"):
        bench = Benchmark(scale)
        made = []
        for device in DEVICES:
            for metric in ("latency", "energy"):
                name, pair = f"{scale}-perplexity-{metric}-{device}", [("perplexity", None), (metric, device)]
                made.append(
                    problem(bench, name, pair, f"HW-GPT-Bench {scale}: perplexity against {metric} on {device}")
                )
        triple = [("perplexity", None), ("latency", "h100"), ("energy", "h100")]
        what = f"HW-GPT-Bench {scale}: perplexity, latency and energy on the h100"
        made.append(problem(bench, f"{scale}-perplexity-latency-energy-h100", triple, what))
        for item in made:
            path = BUILTIN / f"{item.name}.yaml"
            data = item.model_dump(mode="json", exclude_defaults=True)
            data["bounds"] = {k: list(v) for k, v in item.bounds.items()}
            path.write_text(yaml.safe_dump(data, sort_keys=False, width=120), encoding="utf-8")
            written.append(path.name)
    print(f"wrote {len(written)} problems to {BUILTIN}")


if __name__ == "__main__":
    main()
