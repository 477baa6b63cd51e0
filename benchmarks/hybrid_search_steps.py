"""The steps of benchmarks/hybrid_search.py, each cached in the work folder: a step's JSON holds the settings it was
made with (its key) and its outcome; a re-run with the same key reuses it, one with another key is refused (use
another --work) rather than mixing results of different settings."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from common import package_versions

from hwnas.core.files import write_text_atomic

PACKAGES = ("hwnas", "torch", "numpy", "scikit-learn", "sacrebleu", "sentencepiece", "transformers", "gguf")
TASK = "multi30k:en-de"  # the distilled prompts' task text and example pairs come from this corpus
# The default problem: a budget under which the feasible tiny archs fall in two basins (a wide one-layer decoder
# beside a narrow one-layer encoder; a narrow two-layer decoder beside a wide encoder) that one gene change does not
# cross, so a search steered into the worse one can end there. Unconstrained, every search ends at one arch and
# their BLEU is equal by construction. 8,400 of the 21,760 tiny archs meet it (the result's settings.feasible).
DEFAULT_CONSTRAINTS = ("params<=104448",)
SMOKE: dict[str, Any] = {
    "train_steps": 30,
    "demo_count": 4,
    "demo_sentences": 20,
    "n": 12,  # enough archs with a BLEU > 0 under a 30-step supernet to fit the reference models
    "iterations": 2,
    "population": 6,
    "parents": 2,
    "mutation_size": 2,
    "crossover_size": 2,
    "seeds": (1,),
    "bleu_sentences": 20,
}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every knob of the benchmark (recorded in its JSON)."""

    work: Path
    space: str = "tiny"  # another HAT-family space needs --checkpoint: a supernet of that space trained elsewhere
    device: str = "cpu"  # where the supernet trains and scores archs (searches, BLEU, labels); the LLM uses the CPU
    threads: int = 1  # torch threads everywhere: on this 2-core shared VM 2 threads ran far slower than 1
    llm_backend: str = "auto"  # the embedded LLM's: llama_cpp when installed (faster, docs/llm.md), else transformers
    train_steps: int = 3000  # the quickstart's training section (its supernet: 2,000 steps); ~4 min on one thread
    demo_count: int = 10  # LLM-PP shows 10 demonstrations
    demo_seed: int = 123
    demo_split: str = "val"
    demo_sentences: int = 200
    n: int = 80  # archs labelled by the LLM: ~10 s per ~2k-token prompt on one shared core -> ~13 min
    sample_seed: int = 0
    max_tokens: int = 8  # an answer is one number; fewer decoded tokens, faster labels
    iterations: int = 30  # HAT's search (and LLM-PP's hybrid: 15 + 15 iterations): 30 x 125, 25 parents,
    population: int = 125  # 50 mutants, 50 crossovers; ~1 min per supernet-only run here
    parents: int = 25
    mutation_size: int = 50
    crossover_size: int = 50
    seeds: tuple[int, ...] = (1, 2, 3)
    constraints: tuple[str, ...] = DEFAULT_CONSTRAINTS  # every mode searches under them
    bleu_split: str = "test2016"
    bleu_sentences: int = 500
    beam: int = 4
    reuse_searches: bool = False  # False: every search is run afresh, so all modes' times are measured side by side
    smoke: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace, base: dict[str, Any]) -> Settings:
        given = {"train_steps": args.train_steps, "n": args.n, "iterations": args.iterations}
        given |= {key: getattr(args, key, None) for key in ("space", "device", "threads", "llm_backend")}
        given |= {"population": args.population, "seeds": tuple(args.seeds) if args.seeds else None}
        constraints = () if getattr(args, "unconstrained", False) else tuple(args.constraint or ()) or None
        given |= {"constraints": constraints}
        given |= {"reuse_searches": True if getattr(args, "reuse_searches", False) else None}
        values = {**base, **{k: v for k, v in given.items() if v is not None}}
        return cls(work=args.work, smoke=bool(base), **values)

    def describe(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        return {**data, "work": str(self.work), "task_description": TASK}


def versions() -> dict[str, str | None]:
    return package_versions(PACKAGES)


def cached(path: Path, key: dict[str, Any], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()``'s outcome, stored in ``path`` with ``key``; reused when the key matches (``reused`` says
    which it was, so the result file tells measured-now from measured-before)."""
    key = json.loads(json.dumps(key, default=str))
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored["key"] != key:
            changed = sorted(k for k in key if stored["key"].get(k) != key[k])
            raise SystemExit(f"{path} was made with other settings ({', '.join(changed)}); use another --work")
        measured = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).isoformat(timespec="seconds")
        return {**stored["value"], "reused": True, "measured_utc": measured}
    value = compute()
    write_text_atomic(path, json.dumps({"key": key, "value": value}, indent=2) + "\n")
    return {**value, "reused": False}


def _training_config(settings: Settings) -> Any:
    from hwnas.train import parse_config

    text = resources.files("hwnas.configs.pipeline").joinpath("quickstart.yaml").read_text(encoding="utf-8")
    training = yaml.safe_load(text)["training"]
    steps = settings.train_steps
    run = training["run"] | {"max_steps": steps, "device": settings.device, "quiet": True, "threads": settings.threads}
    run |= {"checkpoint_every": min(250, steps), "valid_every": steps, "seed": 1}
    data = {**training, "space": settings.space, "run_dir": str(settings.work / "supernet"), "run": run}
    return parse_config(data, source="benchmarks/hybrid_search.py")


def train_supernet(settings: Settings, given: Path | None) -> tuple[Path, dict[str, Any]]:
    """The tiny supernet: ``given``, or trained with the quickstart's recipe for ``train_steps`` steps (only the
    tiny space: a larger supernet needs its own recipe and a GPU, e.g. ``hwnas pipeline multi30k-gpu``)."""
    if given is not None:
        if not given.is_file():
            raise SystemExit(f"--checkpoint {given}: no such file")
        return given, {"checkpoint": str(given), "trained_here": False}
    if settings.space != "tiny":
        raise SystemExit(
            f"--space {settings.space} needs --checkpoint: a supernet of that space (e.g. the supernet stage of "
            "`hwnas pipeline multi30k-gpu`); this benchmark trains only the tiny one"
        )
    config = _training_config(settings)

    def compute() -> dict[str, Any]:
        from hwnas.train import train

        started = time.perf_counter()
        result = train(config, resume=Path(config.run_dir, "checkpoints").is_dir())
        assert result.checkpoint is not None, "training wrote no checkpoint"
        wall = time.perf_counter() - started
        return {
            "checkpoint": str(result.checkpoint),
            "steps": result.steps,
            "last_loss": result.last_loss,
            "wall_s": wall,
        }

    outcome = cached(settings.work / "supernet.json", {"config": config.model_dump(mode="json")}, compute)
    return Path(outcome["checkpoint"]), {**outcome, "trained_here": True}


def checkpoint_key(checkpoint: Path) -> dict[str, Any]:
    return {"checkpoint": str(checkpoint), "bytes": checkpoint.stat().st_size}


def score_demonstrations(settings: Settings, checkpoint: Path) -> tuple[Path, dict[str, Any]]:
    """``demo_count`` random archs (seeded) with their valid BLEU under the supernet's inherited weights, written
    as the demonstrations file ``hwnas llm-pp distill --demonstrations`` reads."""
    from hwnas.evaluate.checkpoint import evaluate_checkpoint
    from hwnas.llm.distill import sample_archs
    from hwnas.spaces import get_space

    path = settings.work / "demonstrations.jsonl"
    archs = sample_archs(get_space(settings.space), settings.demo_count, settings.demo_seed)

    def compute() -> dict[str, Any]:
        started, lines = time.perf_counter(), []
        for arch in archs:
            out = evaluate_checkpoint(
                checkpoint, arch=arch, metric="bleu", split=settings.demo_split,
                max_sentences=settings.demo_sentences, beam=settings.beam, device=settings.device,
            )  # fmt: skip
            lines.append(json.dumps({"arch": arch.to_dict(), "value": round(out["bleu"], 4)}))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return {
            "file": str(path),
            "values": [json.loads(x)["value"] for x in lines],
            "wall_s": time.perf_counter() - started,
        }

    key = checkpoint_key(checkpoint) | {k: getattr(settings, k) for k in ("demo_count", "demo_seed", "demo_split")}
    key |= {"demo_sentences": settings.demo_sentences, "beam": settings.beam}
    outcome = cached(settings.work / "demonstrations.json", key, compute)
    return path, {**outcome, "source": "supernet-inherited valid BLEU (not from-scratch training)"}


def distill(settings: Settings, demos: Path) -> tuple[Path, dict[str, Any]]:
    """LLM-Distill-PP on the demonstrations: ``n`` labels, the fitted model, the cost. The LLM is the embedded model
    unless the ``HWNAS_LLM_*`` environment names another (e.g. an endpoint); it is part of the step's key."""
    from llm_pp import TimedRunner

    from hwnas.llm.base import Sampling
    from hwnas.llm.clients import load_settings, make_runner
    from hwnas.llm.demonstrations import file_sha256
    from hwnas.llm.distill_run import run_distill
    from hwnas.llm.llmpp_config import DistillConfig

    out = settings.work / "distill"
    config = DistillConfig(
        space=settings.space, demonstrations=str(demos), task_description=TASK, n=settings.n, out=str(out),
        sample_seed=settings.sample_seed, batch_size=8,
    )  # fmt: skip
    sampling = Sampling(temperature=0.0, max_tokens=settings.max_tokens, seed=0)
    llm = {"threads": settings.threads, "backend": settings.llm_backend}
    runner = TimedRunner(make_runner(load_settings(llm)))  # a local model loads lazily

    def compute() -> dict[str, Any]:
        started = time.perf_counter()
        result = run_distill(runner, config, sampling=sampling, log=lambda m: print(f"  distill: {m}", flush=True))
        wall = time.perf_counter() - started
        stats = {k: v for k, v in runner.stats().items() if k != "answer_s"}
        return {"wall_s": wall, "answers": stats, "labels": _label_stats(out / "labels.jsonl"), "result": result}

    key = {"config": config.model_dump(mode="json"), "demonstrations_sha256": file_sha256(demos), "llm": runner.model}
    outcome = cached(settings.work / "distill.json", key | {"max_tokens": settings.max_tokens}, compute)
    return out / "model.npz", outcome


def _label_stats(path: Path) -> dict[str, Any]:
    """How varied the LLM's labels are (a weak model often repeats one number): count, distinct values, range."""
    values = [json.loads(line).get("value") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    numbers = [v for v in values if v is not None]
    spread = {"min": min(numbers), "max": max(numbers)} if numbers else {}
    return {"labels": len(values), "failed": len(values) - len(numbers), "distinct": len(set(numbers)), **spread}


def run_search(
    settings: Settings, mode: str, seed: int, fitness: list[str], *, checkpoint: Path, model: Path | None
) -> dict[str, Any]:
    """One ``hwnas search`` process (1 torch thread; ``model``: the distilled model its schedule ranks by): its
    loop wall-clock (timings.json), process wall-clock, evaluation counts and best arch. The run is measured afresh
    unless ``settings.reuse_searches`` (then a finished run with the same command is reused); an unfinished run
    folder from a killed benchmark is always started afresh."""
    out = settings.work / "search" / f"{mode}-s{seed}"
    sizes = {
        k: getattr(settings, k) for k in ("iterations", "population", "parents", "mutation_size", "crossover_size")
    }
    command = [sys.executable, "-m", "hwnas", "search", "--space", settings.space, *fitness]
    command += ["--checkpoint", str(checkpoint)]
    command += ["--accuracy-model", str(model)] if model is not None else []
    command += ["--device", settings.device, "--seed", str(seed), "--out", str(out)]
    command += [f"--constraint={c}" for c in settings.constraints]
    command += [f"--{k.replace('_', '-')}={v}" for k, v in sizes.items()]

    def compute() -> dict[str, Any]:
        shutil.rmtree(out, ignore_errors=True)
        env = os.environ | {"OMP_NUM_THREADS": str(settings.threads), "MKL_NUM_THREADS": str(settings.threads)}
        load = os.getloadavg()[0]
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        process = time.perf_counter() - started
        return {"process_s": process, "load_1min_at_start": load, **_search_outcome(out)}

    key = {"command": command[1:], "model": checkpoint_key(model) if model is not None else None}
    step = out.with_suffix(".json")
    if not settings.reuse_searches:
        step.unlink(missing_ok=True)
    measured = cached(step, key | checkpoint_key(checkpoint), compute)
    return {**measured, **_search_outcome(out)}


def _search_outcome(out: Path) -> dict[str, Any]:
    """What the run folder says: loop wall-clock (total, per phase, per iteration), counts, best arch."""
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    timings = json.loads((out / "timings.json").read_text(encoding="utf-8"))
    best = result["best"]
    return {
        "search_s": timings["total_s"],
        "phases_s": [p["seconds"] for p in timings["phases"]],
        "iterations_s": timings["iterations_s"],
        "counts": result["counts"],
        "phase_counts": [p["counts"] for p in result.get("fitness_schedule") or []],
        "best_arch": best["arch"],
        "best_arch_id": best["arch_id"],
        "best_valid_loss": best["metrics"]["valid_loss"],
    }


def bleu_of(settings: Settings, checkpoint: Path, arch: dict[str, Any]) -> dict[str, Any]:
    """sacreBLEU of an arch with the supernet's inherited weights on the fixed test subset (cached per arch)."""
    from hwnas.core.arch import Arch
    from hwnas.evaluate.checkpoint import evaluate_checkpoint

    found = Arch.from_dict(arch)

    def compute() -> dict[str, Any]:
        started = time.perf_counter()
        out = evaluate_checkpoint(
            checkpoint, arch=found, metric="bleu", split=settings.bleu_split,
            max_sentences=settings.bleu_sentences, beam=settings.beam, device=settings.device,
        )  # fmt: skip
        return {"bleu": out["bleu"], "bleu_sentences": out["sentences"], "bleu_s": time.perf_counter() - started}

    key = checkpoint_key(checkpoint) | {"split": settings.bleu_split, "sentences": settings.bleu_sentences}
    return cached(settings.work / "bleu" / f"{found.arch_id}.json", key | {"beam": settings.beam}, compute)
