"""Ship a device the project measured with `hwnas bench measure`: keep its raw CSV and sidecar under
benchmarks/results/bench_measure/ (provenance) and write the benchmark's stored form of it, exactly what `hwnas bench
add-device` keeps in a user's cache, into the package as src/hwnas/bench/measured/<scale>_<name>.csv + .json, with
paths relative to the repository.

    python benchmarks/ship_bench_device.py cpu_epyc_2vcpu --space gpt-s --from runs/gpt-s-cpu.csv
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from hwnas.bench.archs import Grid
from hwnas.bench.catalog import TABLE_DEVICES
from hwnas.bench.devices import SHIPPED, add_device, shipped_devices
from hwnas.core.files import write_json_atomic
from hwnas.hardware.dataset_files import read_sidecar, sidecar_path
from hwnas.spaces import get_space

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "benchmarks" / "results" / "bench_measure"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name")
    parser.add_argument("--space", required=True, choices=["gpt-s", "gpt-m", "gpt-l"])
    parser.add_argument("--from", dest="source", type=Path, required=True, help="CSV written by `hwnas bench measure`")
    args = parser.parse_args()
    sidecar = read_sidecar(args.source)
    if sidecar is None or sidecar.get("space") != args.space:
        sys.exit(f"{args.source}: not a `hwnas bench measure` CSV of {args.space} (with its .json sidecar)")
    RAW.mkdir(parents=True, exist_ok=True)
    raw = RAW / f"{args.space}_{args.name}.csv"
    shutil.copyfile(args.source, raw)
    shutil.copyfile(sidecar_path(args.source), sidecar_path(raw))
    space = get_space(args.space)
    others = tuple(d.name for d in shipped_devices(args.space) if d.name != args.name)
    with tempfile.TemporaryDirectory() as cache:
        record = add_device(Path(cache), space, Grid.of(space), args.name, raw, reserved=TABLE_DEVICES, shipped=others)
        made = Path(record.csv)
        SHIPPED.mkdir(parents=True, exist_ok=True)
        target = SHIPPED / f"{args.space}_{args.name}.csv"
        shutil.copyfile(made, target)
        data = json.loads(made.with_suffix(".json").read_text(encoding="utf-8"))
    data |= {
        "csv": target.name,
        "meta": target.with_suffix(".json").name,
        "source": str(raw.relative_to(ROOT)),
    }
    write_json_atomic(target.with_suffix(".json"), data)
    where = f"{target.relative_to(ROOT)}, raw {raw.relative_to(ROOT)}"
    print(f"shipped {args.name} ({record.rows} archs of {args.space}): {where}")


if __name__ == "__main__":
    main()
