"""Every command given bad input, as a new user gives it: a non-zero exit (2 for a user error; 1 only for
``data verify``'s failed check), exactly one line on stderr, no traceback, and no file written or changed.

Each case runs in its own folder (the working directory) with its own ``HWNAS_CACHE_DIR``, and the whole tree is
compared before and after. Nothing trains, measures or asks a real LLM: checkpoints are a few bytes, the dead LLM
endpoint is a closed localhost port, and every command must refuse its input before doing any work.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from hwnas.cli.main import app

LATENCY_CSV = "hat-wmt14ende_cpu_amd-epyc.csv"  # shipped with hwnas, so no shared data is needed to fit on it
TRAIN_CONFIG = "tiny-multi30k.yaml"  # a valid training config (bundled)
CORRUPTED = "mt/multi30k/val.de.gz"  # in the "corrupted" data folder: bytes overwritten mid-stream (a zlib error)


@dataclass(frozen=True)
class Case:
    """``argv`` may hold ``{dead_url}`` (a refused localhost endpoint); ``says`` is part of the stderr line."""

    id: str
    argv: tuple[str, ...]
    says: str
    exit_code: int = 2
    data: str = "shared"  # HWNAS_DATA_DIR: the shared folder, "empty", or "corrupted" (a copy, one gzip damaged)


def _c(id_: str, command: str, says: str, **kw: object) -> Case:
    return Case(id_, tuple(command.split()), says, **kw)  # type: ignore[arg-type]


SEARCH = "search --space tiny --objective params:min --iterations 1"
QUICK = "quickstart --smoke --quiet"
DEAD = "--llm-base-url {dead_url} --llm-model m --llm-retries 3 --llm-backoff 5"
BQ = "bench query --space gpt-s"
BS = "search --space gpt-s --evaluator bench --objective perplexity:min"
BR = "bench run --problem gpt-s-perplexity-latency-h100"

# fmt: off
CASES = [
    # search
    _c("search-out-under-a-file", f"{SEARCH} --out afile/run", "'afile' is a file, not a folder"),
    _c("search-out-not-empty", f"{SEARCH} --out full", "is not empty; pass --resume"),
    _c("search-unknown-space", "search --space nosuch --objective params:min --out r", "unknown search space 'nosuch'"),
    _c("search-bad-constraint", f"{SEARCH} --constraint latency<<3 --out run", "bound '<3' is not a number"),
    _c("search-bad-objective", "search --space tiny --objective params:sideways --out run", "params:sideways"),
    _c("search-negative-iterations", f"{SEARCH} --iterations -1 --out run", "config key 'iterations'"),
    _c("search-malformed-yaml", "search --config bad.yaml", "'bad.yaml': malformed YAML, line 3, column 2"),
    _c("search-binary-config", "search --config binary.yaml", "is not UTF-8 text"),
    _c("search-config-not-a-mapping", "search --config list.yaml", "must hold a mapping"),
    _c("search-unknown-config-key", f"{SEARCH} --config unknown.yaml --out run", "unknown config key 'no_such_key'"),
    _c("search-missing-config", "search --config nosuch.yaml", "cannot read config file 'nosuch.yaml'"),
    _c("search-truncated-checkpoint", f"{SEARCH} --fitness supernet --checkpoint trunc.pt --out run",
       "not a valid hwnas checkpoint: trunc.pt"),
    _c("search-garbage-latency-model", f"{SEARCH} --latency-model garbage.npz --out run", "garbage.npz"),
    _c("search-malformed-init-archs", f"{SEARCH} --init-archs bad.jsonl --out run", "line 1 is not valid JSON"),
    # pipeline, quickstart, report
    _c("quickstart-without-data", f"{QUICK} --out run", "file 'train.en.gz' not found", data="empty"),
    _c("quickstart-out-under-a-file", f"{QUICK} --out afile/run", "'afile' is a file, not a folder"),
    _c("quickstart-unknown-stage", f"{QUICK} --out run --from nosuch", "unknown pipeline stage 'nosuch'"),
    _c("pipeline-unknown-config", "pipeline nosuch", "neither a file nor a bundled config"),
    _c("pipeline-malformed-yaml", "pipeline bad.yaml", "malformed YAML, line 3, column 2"),
    _c("pipeline-unknown-key", "pipeline unknown.yaml", "no_such_key"),
    _c("pipeline-dry-run-corrupted-gzip", "pipeline quickstart-smoke --run-dir run --dry-run", "1 input(s) invalid",
       data="corrupted"),
    _c("pipeline-run-corrupted-gzip", "pipeline quickstart-smoke --run-dir run", "is corrupted", data="corrupted"),
    _c("report-not-a-run", "report emptydir", "is not a pipeline run directory"),
    _c("report-missing-folder", "report nosuch", "does not exist"),
    _c("report-folder-is-a-file", "report run", "File exists: 'run/report'"),  # the OS refusing a path: one line
    # latency
    _c("latency-fit-out-under-a-file", f"latency fit --data {LATENCY_CSV} --out afile/m.npz", "is a file"),
    _c("latency-fit-missing-csv", "latency fit --data nosuch.csv --out m.npz", "nosuch.csv"),
    _c("latency-fit-bad-csv", "latency fit --data bad.csv --out m.npz", "bad.csv"),
    _c("latency-fit-unknown-model", f"latency fit --data {LATENCY_CSV} --model nosuch --out m.npz", "nosuch"),
    _c("latency-fit-bad-knob", f"latency fit --data {LATENCY_CSV} --set steps --out m.npz", "KNOB=VALUE"),
    _c("latency-evaluate-garbage-model", f"latency evaluate --model garbage.npz --data {LATENCY_CSV}", "garbage.npz"),
    _c("latency-predict-no-input", "latency predict --model garbage.npz", "garbage.npz"),
    _c("latency-collect-out-under-a-file", "latency collect --space tiny --n 2 --out afile/l.csv", "is a file"),
    _c("latency-collect-unknown-space", "latency collect --space nosuch --n 2 --out l.csv", "unknown search space"),
    # benchmark (HW-GPT-Bench): every flag checked before a surrogate is fitted or a file written
    _c("bench-query-unknown-metric", f"{BQ} --metric speed --archs bad.csv", "unknown --metric (space gpt-s) 'speed'"),
    _c("bench-query-needs-device", f"{BQ} --metric latency --archs bad.csv", "per device; give --device, one of: a100"),
    _c("bench-query-unknown-device", f"{BQ} --metric latency --device tpu --archs bad.csv", "--device (metric latency"),
    _c("bench-query-device-free", f"{BQ} --metric perplexity --device h100 --archs bad.csv", "drop --device 'h100'"),
    _c("bench-query-bad-mode", f"{BQ} --metric perplexity --mode median --archs bad.csv", "allowed: mean, interval"),
    _c("bench-query-unknown-space", "bench query --space gpt-xl --metric perplexity --archs bad.csv", "'gpt-xl'"),
    _c("bench-query-bad-csv", f"{BQ} --metric perplexity --archs bad.csv", "lacks column(s) embed_dim, n_layer"),
    _c("bench-query-missing-archs", f"{BQ} --metric perplexity --archs nosuch.csv", "'nosuch.csv': file not found"),
    _c("bench-query-bad-jsonl", f"{BQ} --metric perplexity --archs bad.jsonl", "line 1 is not valid JSON"),
    _c("bench-measure-out-under-a-file", "bench measure --space gpt-s --n 2 --out afile/m.csv", "is a file"),
    _c("bench-measure-not-a-scale", "bench measure --space tiny --n 2 --out m.csv", "known: gpt-l, gpt-m, gpt-s"),
    _c("bench-add-device-no-sidecar", "bench add-device mine --space gpt-s --from bad.csv", "no provenance sidecar"),
    _c("bench-add-device-table-name", "bench add-device h100 --space gpt-s --from bad.csv", "is a device of"),
    _c("bench-run-unknown-problem", "bench run --problem gpt-s-speed --out s", "unknown problem 'gpt-s-speed'"),
    _c("bench-run-unknown-algorithm", f"{BR} --algorithms random,annealing --out s", "'annealing' is not a searcher"),
    _c("bench-run-budget-beyond", f"{BR} --evaluations 50 --budgets 100 --out s", "budget 100 is outside 1..50"),
    _c("bench-run-bad-algorithm-opt", f"{BR} --algorithm-opt parents=3 --out s", "expected ALGORITHM.KEY=VALUE"),
    _c("bench-compare-missing", "bench compare nosuch", "result 'nosuch' does not exist"),
    _c("bench-compare-not-a-suite", "bench compare emptydir", "'emptydir' is not a suite folder (no suite.json"),
    _c("bench-compare-invalid-json", "bench compare bad.jsonl", "'bad.jsonl' is not valid JSON"),
    _c("bench-compare-not-a-summary", "bench compare other.json", "is not a suite summary of `hwnas bench run`"),
    _c("bench-compare-unfinished", "bench compare unfinished", "the suite did not finish; rerun `hwnas bench run`"),
    _c("bench-compare-other-settings", "bench compare suite-a suite-b",
       "in both 'suite-a/summary.json' and 'suite-b/summary.json' with different settings (evaluations 10 vs 20)"),
    _c("bench-compare-budget-beyond", "bench compare suite-a --budgets 5,50", "budget 50 is not available"),
    _c("bench-compare-out-under-a-file", "bench compare suite-a --out afile/c", "'afile' is a file, not a folder"),
    _c("report-suite-unfinished", "report unfinished", "has no summary.json: the suite did not finish; rerun"),
    _c("report-suite-folder-is-a-file", "report suite-a", "report folder 'suite-a/report' must be a folder"),
    _c("search-bench-unknown-device", f"{BS} --evaluator-opt bench.devices=tpu --out r", "has no device 'tpu'"),
    _c("search-bench-without-devices", f"{BS} --out r", "metric 'latency' is per device; give devices"),
    _c("search-bench-other-space", f"{SEARCH} --evaluator bench --out r", "HW-GPT-Bench's spaces (gpt-s"),
    # data
    _c("data-verify-corrupted-gzip", "data verify multi30k", "val.de.gz: MISMATCH", exit_code=1, data="corrupted"),
    _c("data-verify-unknown", "data verify nosuch", "unknown dataset 'nosuch'"),
    _c("data-fetch-unknown", "data fetch nosuch", "unknown dataset 'nosuch'"),
    # spaces, metrics
    _c("spaces-show-malformed-yaml", "spaces show bad.yaml", "bad.yaml: malformed YAML, line 3, column 2"),
    _c("spaces-sample-bad-format", "spaces sample tiny --format nope", "--format 'nope'"),
    _c("metrics-missing-arch", "metrics tiny nosuch.yaml", "cannot read arch file 'nosuch.yaml'"),
    _c("metrics-malformed-arch", "metrics tiny bad.yaml", "malformed YAML, line 3, column 2"),
    _c("metrics-binary-arch", "metrics tiny binary.yaml", "is not UTF-8 text"),
    # training, evaluation, translation
    _c("supernet-eval-truncated", "supernet eval --checkpoint trunc.pt", "not a valid hwnas checkpoint: trunc.pt"),
    _c("supernet-eval-garbage", "supernet eval --checkpoint garbage.pt", "not a valid hwnas checkpoint: garbage.pt"),
    _c("supernet-eval-foreign", "supernet eval --checkpoint foreign.pt", "not a valid hwnas checkpoint: foreign.pt"),
    _c("supernet-eval-missing", "supernet eval --checkpoint nosuch.pt", "checkpoint 'nosuch.pt' not found"),
    _c("translate-truncated", "translate --checkpoint trunc.pt --input src.txt", "not a valid hwnas checkpoint"),
    _c("translate-empty-input", "translate --checkpoint trunc.pt --input empty.txt", "nothing to translate"),
    _c("translate-missing-input", "translate --checkpoint trunc.pt --input nosuch.txt", "cannot read --input"),
    _c("supernet-train-malformed", "supernet train --config bad.yaml", "malformed YAML, line 3, column 2"),
    _c("supernet-train-unknown-key", "supernet train --config unknown.yaml", "unknown config key 'no_such_key'"),
    _c("supernet-train-run-dir-under-a-file", "supernet train --config train.yaml --run-dir afile/run", "is a file"),
    _c("supernet-train-without-data", "supernet train --config train.yaml --run-dir run", "not found", data="empty"),
    _c("train-malformed-arch", "train --arch bad.yaml --config unknown.yaml", "arch file 'bad.yaml'"),
    # LLM clients and LLM-PP
    _c("llm-info-not-ready", "llm info --llm-client openai", "is not ready: llm.model is required"),
    _c("llm-info-unknown-client", "llm info --llm-client nosuch", "unknown client 'nosuch'"),
    _c("llm-info-malformed-config", "llm info --llm-config bad.yaml", "malformed YAML, line 3, column 2"),
    _c("llm-ask-dead-endpoint", f"llm ask hi {DEAD}", "cannot connect"),
    _c("llm-pp-evaluate-dead-endpoint", f"llm-pp evaluate --task wmt14ende {DEAD} --out r.json", "cannot connect"),
    _c("llm-pp-evaluate-unknown-task", "llm-pp evaluate --task nosuch", "nosuch"),
    _c("llm-pp-evaluate-out-under-a-file", f"llm-pp evaluate {DEAD} --out afile/r.json", "is a file"),
    _c("llm-pp-generate-unknown-space", f"llm-pp generate --space nosuch {DEAD}", "unknown search space 'nosuch'"),
    _c("llm-pp-distill-malformed-config", "llm-pp distill --config bad.yaml", "malformed YAML, line 3, column 2"),
]
# fmt: on


def _suite_summary(evaluations: int) -> dict[str, object]:
    """A small summary.json of `hwnas bench run` (random, two seeds) on a 2-D problem."""
    problem = {
        "name": "p",
        "space": "gpt-s",
        "objectives": ["perplexity:min", "latency@h100:min"],
        "bounds": {"perplexity": [20.0, 40.0], "latency@h100": [4.0, 12.0]},
        "reference": [1.1, 1.1],
    }
    settings = {
        "problem": "p",
        "algorithms": ["random"],
        "seeds": [0, 1],
        "evaluations": evaluations,
        "population": 5,
        "budgets": [evaluations],
        "options": {},
    }
    runs = [
        {
            "algorithm": "random",
            "seed": seed,
            "run_dir": f"random/seed-{seed}",
            "front": [],
            "hypervolume": [0.1 * (seed + 1)] * evaluations,
        }
        for seed in (0, 1)
    ]
    return {"problem": problem, "settings": settings, "budgets": [evaluations], "table": {}, "attainment": {},
            "runs": runs}  # fmt: skip


def _write_inputs(folder: Path) -> None:
    """The bad (and the few good) files the cases name, in the case's working directory."""
    texts = {
        "bad.yaml": "a: 1\nb: [1, 2\nc: 3\n",  # the flow sequence is never closed: the parser stops on line 3
        "list.yaml": "- 1\n- 2\n",
        "unknown.yaml": "no_such_key: 1\n",
        "afile": "a file where a folder is expected\n",
        "empty.txt": "",
        "src.txt": "a small sentence\n",
        "bad.csv": "a,b\n1,2\n",
        "bad.jsonl": "{not json\n",
        "full/kept.txt": "a run folder that is not empty\n",
        "run/pipeline.yaml": "space: tiny\n",  # a pipeline run whose report/ is taken by a file
        "run/report": "not a folder\n",
        "other.json": '{"a": 1}\n',  # JSON, but not a suite summary
        "suite-a/suite.json": json.dumps({"settings": _suite_summary(10)["settings"]}),  # a finished suite...
        "suite-a/summary.json": json.dumps(_suite_summary(10)),
        "suite-a/report": "not a folder\n",  # ...whose report/ is taken by a file
        "suite-b/summary.json": json.dumps(_suite_summary(20)),  # random again, with other settings
        "unfinished/suite.json": json.dumps({"settings": _suite_summary(10)["settings"]}),  # killed: no summary
    }
    for name, text in texts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "emptydir").mkdir()
    (folder / "binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    (folder / "garbage.pt").write_bytes(os.urandom(2048))
    (folder / "garbage.npz").write_bytes(b"not a model")
    torch.save({"weights": torch.ones(3)}, folder / "foreign.pt")
    torch.save({"format": "hwnas-checkpoint", "model": torch.zeros(4096)}, folder / "whole.pt")
    whole = (folder / "whole.pt").read_bytes()
    (folder / "trunc.pt").write_bytes(whole[: len(whole) // 2])  # a copy cut off mid-transfer
    (folder / "whole.pt").unlink()
    shipped = resources.files("hwnas.hardware.datasets").joinpath(LATENCY_CSV)
    (folder / LATENCY_CSV).write_bytes(shipped.read_bytes())
    (folder / "train.yaml").write_bytes(resources.files("hwnas.configs.train").joinpath(TRAIN_CONFIG).read_bytes())


def _data_folder(kind: str, root: Path, shared: Path) -> Path:
    if kind == "shared":
        return shared
    folder = root / "data"
    folder.mkdir()
    if kind == "corrupted":
        shutil.copytree(shared / "mt" / "multi30k", folder / "mt" / "multi30k")
        damaged = folder / CORRUPTED
        damaged.chmod(0o644)
        data = damaged.read_bytes()
        damaged.write_bytes(data[:200] + b"\xff" * 64 + data[264:])
    return folder


def _tree(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under ``root``: (is a folder, size, mtime): any file written, changed or removed shows."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        found[str(path.relative_to(root))] = (path.is_dir(), 0 if path.is_dir() else info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_leaves_nothing(
    case: Case, data_dir: Path, dead_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _write_inputs(work)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HWNAS_DATA_DIR", str(_data_folder(case.data, tmp_path, data_dir)))
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    for name in ("HWNAS_LLM_CLIENT", "HWNAS_LLM_BASE_URL", "HWNAS_LLM_MODEL", "HWNAS_LLM_GGUF"):
        monkeypatch.delenv(name, raising=False)
    before = _tree(tmp_path)
    result = CliRunner().invoke(app, [arg.format(dead_url=dead_url) for arg in case.argv])
    assert isinstance(result.exception, SystemExit), f"{type(result.exception).__name__}: {result.exception}"
    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") or case.exit_code == 1
    assert case.says in lines[0]
    assert _tree(tmp_path) == before


def test_every_command_goes_through_the_one_handler() -> None:
    """A command added without ``@friendly_errors`` would print a traceback for the same inputs."""
    import typer

    def commands(typer_app: typer.Typer) -> list[object]:
        found: list[object] = [info.callback for info in typer_app.registered_commands]
        for group in typer_app.registered_groups:
            assert group.typer_instance is not None
            found += commands(group.typer_instance)
        return found

    callbacks = commands(app)
    assert len(callbacks) >= 25
    unhandled = [getattr(cb, "__name__", cb) for cb in callbacks if not getattr(cb, "handles_user_errors", False)]
    assert unhandled == []
