"""benchmarks/lm_searcher.py, LM-Searcher against the baselines: a short run end to end with an offline LLM (cells
written as they end and reused, a crash recorded and not raised, skipped methods recorded), the regret and goal
arithmetic, the merge of parts, and the rendered blocks. The runs skip without HWNAS_DATA_DIR (the benchmark table)."""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
lm_searcher = importlib.import_module("lm_searcher")
cells = importlib.import_module("lm_searcher_cells")
merging = importlib.import_module("lm_searcher_merge")
summary = importlib.import_module("lm_searcher_summary")
common = importlib.import_module("rendering.common")
rendering = importlib.import_module("rendering.lm_searcher")

PROBLEM = "gpt-s-perplexity-latency-h100"
METHODS = "random,lm-searcher,lm-searcher-tuned,lm-searcher-endpoint"


class PoolPicker:
    """An offline LLM: names one of the candidate codes of the prompt, chosen by a hash of the prompt."""

    model = "test:lm-benchmark-picker"
    cacheable = False

    def complete(self, request: Any, *, timeout_s: float) -> str:
        text = request.messages[-1].content
        codes = re.findall(r"\d+", text.split("Candidates:", 1)[-1])
        return codes[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(codes)] if codes else "none"


@pytest.fixture(scope="module")
def offline(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The bench surrogates fitted once per session (the folder the suite tests use) and the offline LLM."""
    from hwnas.llm.clients import CLIENTS

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HWNAS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "bench-cache"))
        patch.setitem(CLIENTS, "test-lm-benchmark", lambda settings: PoolPicker())
        patch.setenv("HWNAS_LLM_CLIENT", "test-lm-benchmark")
        yield


@pytest.fixture(scope="module")
def quick(offline: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("lm-searcher")
    args = [
        "--quick",
        "--trials",
        "8",
        "--methods",
        METHODS,
        "--out",
        str(root / "work"),
        "--results-dir",
        str(root / "results"),
    ]
    path = lm_searcher.main(args)
    return {"args": args, "path": path, "data": json.loads(path.read_text()), "work": root / "work"}


def test_quick_run_records_regret_paths_and_skips(quick: dict[str, Any]) -> None:
    data = quick["data"]
    s = data["settings"]
    assert data["quick"] and s["trials"] == 8 and s["budgets"] == [4, 8] and s["seeds"] == [0]
    assert s["history_cap"] == 40 and s["reference"] == "runs" and data["versions"]["torch"]
    assert data["methods"]["lm-searcher-tuned"] == {**data["methods"]["lm-searcher-tuned"], "status": "skipped"}
    assert data["methods"]["lm-searcher-endpoint"]["status"] == "skipped"
    assert data["methods"]["lm-searcher"]["options"]["llm"]["cache_dir"].endswith("llm-cache")
    import torch

    assert s["llm_device"] == ("cuda" if torch.cuda.is_available() else "cpu")  # --device auto, resolved
    if not torch.cuda.is_available():  # auto is the CPU: the options (and cell identities) are those made before
        assert "device" not in data["methods"]["lm-searcher"]["options"]["llm"]
    problem = data["problems"][PROBLEM]
    assert problem["problem"]["constraints"] == ["latency_h100<=8.605"]
    assert list(problem["methods"]) == ["random", "lm-searcher"]
    assert problem["table_best"]["value"] is not None and problem["table_best"]["rows"] > 0
    assert problem["reference"]["from"] == "runs"
    for name, entry in problem["methods"].items():
        (run,) = entry["runs"]
        assert run["status"] == "ok" and run["evaluations"] == 8 and run["wall_s"] > 0 and len(run["values"]) == 8
        assert (quick["work"] / PROBLEM / name / "seed-0.json").is_file()
        for budget in ("4", "8"):
            assert entry["table"][budget]["n"] == 1 and entry["table"][budget]["mean"] >= 0
        assert entry["table"]["8"]["mean"] <= entry["table"]["4"]["mean"] and entry["crashes"] == 0
    paths = problem["methods"]["lm-searcher"]["paths"]
    assert paths["warmup"] == 5 and sum(paths[k] for k in ("generated", "fallback", "only_candidate")) == 3
    assert data["goals"]["crashes"]["met"] is True and data["goals"]["below_random"]["met"] is None
    assert set(data["goals"]["for_comparison"]) == {"lm-searcher"}
    assert quick["path"].with_name(quick["path"].stem + "-regret.png").is_file()


def test_a_second_run_reuses_every_cell_and_refuses_other_settings(quick: dict[str, Any]) -> None:
    again = json.loads(lm_searcher.main(quick["args"]).read_text())
    for name, entry in quick["data"]["problems"][PROBLEM]["methods"].items():
        assert again["problems"][PROBLEM]["methods"][name]["runs"] == entry["runs"]  # walls too: nothing re-run
    with pytest.raises(SystemExit, match="other settings"):
        lm_searcher.main([*quick["args"], "--history-cap", "39"])


def test_a_run_killed_before_its_cell_was_written_resumes_from_its_journal(quick: dict[str, Any]) -> None:
    (quick["work"] / PROBLEM / "random" / "seed-0.json").unlink()
    again = json.loads(lm_searcher.main(quick["args"]).read_text())
    run = again["problems"][PROBLEM]["methods"]["random"]["runs"][0]
    first = quick["data"]["problems"][PROBLEM]["methods"]["random"]["runs"][0]
    assert run["values"] == first["values"] and run["new_evaluations"] == 0 and run["wall_s"] is None  # not timed


def test_a_crash_is_recorded_and_the_benchmark_goes_on(
    offline: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(plan: Any) -> Any:
        raise RuntimeError("searcher fell over")

    monkeypatch.setattr(cells, "execute", crash)
    args = ["--quick", "--trials", "4", "--seeds", "2", "--methods", "random", "--out", str(tmp_path / "w")]
    data = json.loads(lm_searcher.main([*args, "--results-dir", str(tmp_path)]).read_text())
    entry = data["problems"][PROBLEM]["methods"]["random"]
    assert entry["crashes"] == 2 and entry["table"]["4"] == {"mean": None, "se": None, "n": 0, "left_out": 2}
    goal = data["goals"]["crashes"]
    assert goal["met"] is False and goal["crashes"] == 2 and "searcher fell over" in goal["crashed"][0]


def test_adapter_provenance_names_its_training_sources(tmp_path: Path) -> None:
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "hwnas-adapter.json").write_text(json.dumps({"train_sources": ["bench:gpt-m:latency_h100"]}))
    facts = cells.adapter_facts(tmp_path)
    assert facts is not None and facts["train_sources"] == ["bench:gpt-m:latency_h100"] and len(facts["id"]) == 12
    seen = summary.training_overlap({"space": "gpt-m", "devices": ["h100"]}, facts["train_sources"])
    unseen = summary.training_overlap({"space": "gpt-s", "devices": ["h100"]}, facts["train_sources"])
    assert seen["unseen"] is False and unseen == {**unseen, "unseen": True, "device_sources": facts["train_sources"]}
    assert summary.training_overlap({"space": "gpt-s"}, None)["unseen"] is None
    with pytest.raises(SystemExit, match="--adapter"):
        cells.adapter_facts(tmp_path / "missing")


# regret, goals, merge and rendering (synthetic, no search) ---------------------------------------------------------
def _run(method: str, seed: int, values: list[float | None], status: str = "ok") -> dict[str, Any]:
    best = min((v for v in values if v is not None), default=None)
    return {
        "problem": "p",
        "method": method,
        "seed": seed,
        "status": status,
        "values": values,
        "best": best,
        "wall_s": 1.0 + seed,
        "iteration_s": {"max": 2.0},
        "error": None if status == "ok" else "boom",
        "searcher": {"paths": {"warmup": 1, "loglik": 2}} if method.startswith("lm-") else None,
    }


def _problem(unseen: bool | None = True) -> dict[str, Any]:
    runs = {
        "random": [_run("random", 0, [5.0, 4.0, 4.0, 3.0]), _run("random", 1, [6.0, 5.0, 3.5, 3.5])],
        "rea": [_run("rea", 0, [5.0, 3.0, 2.0, 2.0]), _run("rea", 1, [None, 4.0, 3.0, 2.5])],
        "lm-searcher-tuned": [
            _run("lm-searcher-tuned", 0, [4.0, 3.0, 2.5, 1.0]),
            _run("lm-searcher-tuned", 1, [], "crash"),
        ],
    }
    problem = {
        "problem": {"direction": "min", "objective": "x:min", "constraints": ["y<=1"]},
        "table_best": {"value": 0.5, "rows": 10},
        "training": {"unseen": unseen},
        "methods": {m: {"runs": r} for m, r in runs.items()},
    }
    return summary.summarise_problem(problem, [2, 4], 4)


def test_regret_is_measured_from_the_best_found_and_goals_are_computed() -> None:
    assert summary.best_so_far([None, 3.0, 4.0, 2.0], "max") == [None, 3.0, 4.0, 4.0]
    assert summary.regret(3.0, 4.0, "max") == 1.0 and summary.regret(None, 1.0, "min") is None
    problem = _problem()
    assert problem["reference"] == {
        "runs_best": 1.0,
        "runs_best_method": "lm-searcher-tuned",
        "table_best": 0.5,
        "value": 1.0,
        "from": "runs",
    }
    rea, tuned = problem["methods"]["rea"], problem["methods"]["lm-searcher-tuned"]
    assert rea["table"]["2"]["mean"] == pytest.approx(2.5) and rea["table"]["4"]["mean"] == pytest.approx(1.25)
    assert tuned["table"]["4"] == {"mean": 0.0, "se": None, "n": 1, "left_out": 1} and tuned["crashes"] == 1
    assert rea["curve"]["mean"][0] == pytest.approx(4.0) and rea["wall_s"] == {
        "median": 1.5,
        "max": 2.0,
        "timed_runs": 2,
    }
    assert tuned["paths"] == {"warmup": 1, "loglik": 2}
    tabled = summary.summarise_problem(
        {**problem, "methods": {m: {"runs": e["runs"]} for m, e in problem["methods"].items()}}, [2, 4], 4, "table"
    )
    assert tabled["reference"]["from"] == "table" and tabled["methods"]["rea"]["table"]["4"]["mean"] == 1.75
    goals = summary.goals({"p": problem, "q": _problem(unseen=False)}, [2, 4])
    assert goals["below_random"] == {**goals["below_random"], "cells": 4, "not_below": [], "met": True}
    assert goals["versus_rea"] == {**goals["versus_rea"], "problems": ["p"], "cells": 1, "worse": [], "met": True}
    assert "assessed at 4 trials" in goals["versus_rea"]["note"]
    assert goals["crashes"]["met"] is False and goals["crashes"]["crashes"] == 2
    assert goals["crashes"]["slowest_trial_s"] == 2.0 and goals["for_comparison"] == {}
    everywhere = summary.goals({"p": _problem(unseen=None)}, [2, 4])["versus_rea"]
    assert everywhere["problems"] == ["p"] and "every problem" in everywhere["goal"]


def _result(seeds: list[int], quick: bool = False) -> dict[str, Any]:
    problem = _problem()
    for entry in problem["methods"].values():
        entry["runs"] = [r for r in entry["runs"] if r["seed"] in seeds]
    settings = {
        "problems": ["p"],
        "seeds": seeds,
        "trials": 4,
        "budgets": [2, 4],
        "methods": ["random", "rea"],
        "population": 10,
        "history_cap": 40,
        "pool_size": 10,
        "lm_options": {},
        "llm_backend": "transformers",
        "llm_timeout_s": 120.0,
        "budget_fraction": 0.5,
        "reference": "runs",
        "endpoint": None,
        "adapter": {"id": "abc", "train_sources": ["bench:gpt-m:latency_h100"]},
    }
    methods = {
        "random": {"title": "random search", "status": "ok"},
        "lm-searcher-endpoint": {"title": "endpoint", "status": "skipped", "reason": "no --endpoint"},
    }
    return {
        "benchmark": "lm_searcher",
        "quick": quick,
        "command": "x",
        "versions": {},
        "machine": {"cpu_model": "cpu", "cpu_count": 2},
        "settings": settings,
        "methods": methods,
        "goals": summary.goals({"p": problem}, [2, 4]),
        "notes": ["a note"],
        "problems": {"p": problem},
        "wall_s": 1.0,
    }


def test_parts_merge_by_seed_and_other_settings_refuse(tmp_path: Path) -> None:
    paths = [tmp_path / "lm_searcher-a.json", tmp_path / "lm_searcher-b.json"]
    paths[0].write_text(json.dumps(_result([0])))
    paths[1].write_text(json.dumps(_result([1])))
    merged = json.loads(merging.merge(paths, tmp_path / "out").read_text())
    assert merged["settings"]["seeds"] == [0, 1] and [p["file"] for p in merged["merged_from"]] == [
        p.name for p in paths
    ]
    assert merged["problems"]["p"] == _problem()  # the same tables as the one-part result
    assert merged["replaced"] == [] and merged["goals"]["crashes"]["crashes"] == 1
    paths[1].write_text(json.dumps({**_result([1]), "settings": {**_result([1])["settings"], "trials": 5}}))
    with pytest.raises(SystemExit, match=r"settings\.trials differs"):
        merging.merge(paths, tmp_path / "out")


def test_the_device_reaches_the_llm_options_and_cpu_cells_keep_their_identity() -> None:
    args = lm_searcher.parse_args(["--device", "cuda:1", "--trials", "4"])
    assert args.device == "cuda:1"
    args.llm_device = "cuda:1"
    options = cells.method_options(cells.METHODS["lm-searcher"], args, Path("out"))
    assert options["llm"]["device"] == "cuda:1"
    assert "device" not in cells.method_options(cells.METHODS["random"], args, Path("out"))
    definition = {"space": "gpt-s"}
    on_gpu = cells._identity(definition, cells.METHODS["lm-searcher"], options, 0, args)
    on_cpu = {**options, "llm": {**options["llm"], "device": "cpu"}}
    without = {**options, "llm": {k: v for k, v in options["llm"].items() if k != "device"}}
    assert on_gpu["options"]["llm"]["device"] == "cuda:1"
    same = [cells._identity(definition, cells.METHODS["lm-searcher"], o, 0, args) for o in (on_cpu, without)]
    assert same[0] == same[1] != on_gpu
    with pytest.raises(SystemExit):
        lm_searcher.parse_args(["--device", "tpu"])


def test_parts_merge_only_when_the_embedded_model_ran_on_one_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rendering, "relative", lambda path: path.name)

    def part(seeds: list[int], device: str | None, llm: bool) -> dict[str, Any]:
        result = _result(seeds)
        if device is not None:
            result["settings"]["llm_device"] = device
        if llm:
            result["methods"]["lm-searcher-tuned"] = {"title": "tuned", "status": "ok"}
        return result

    paths = [tmp_path / "lm_searcher-a.json", tmp_path / "lm_searcher-b.json"]
    paths[0].write_text(json.dumps(part([0], None, llm=True)))  # made before --device: on the CPU
    paths[1].write_text(json.dumps(part([1], "cuda", llm=True)))
    with pytest.raises(SystemExit, match=r"lm_searcher-b\.json: the embedded model ran on cuda, in .* on cpu"):
        merging.merge(paths, tmp_path / "out")
    paths[1].write_text(json.dumps(part([1], "cuda", llm=False)))  # baselines only: no LLM, any machine
    assert json.loads(merging.merge(paths, tmp_path / "out").read_text())["settings"]["llm_device"] == "cpu"
    paths[0].write_text(json.dumps(part([0], "cpu", llm=False)))
    paths[1].write_text(json.dumps(part([1], "cuda", llm=True)))
    merged = json.loads(merging.merge(paths, tmp_path / "out").read_text())
    assert merged["settings"]["llm_device"] == "cuda"
    assert "embedded backend transformers on cuda (bf16 autocast);" in rendering._header(Path("r.json"), merged)
    assert "embedded backend transformers;" in rendering._header(Path("r.json"), _result([0]))


def test_blocks_render_from_the_newest_full_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.setattr(rendering, "relative", lambda path: path.name)
    assert rendering.lm_searcher() == rendering.NO_RESULT == rendering.lm_searcher_summary()
    (tmp_path / "lm_searcher-20990101T000000Z.json").write_text(json.dumps(_result([0, 1])))
    (tmp_path / "lm_searcher-20990102T000000Z.json").write_text(json.dumps(_result([0], quick=True)))
    docs, readme = "\n".join(rendering.lm_searcher()), "\n".join(rendering.lm_searcher_summary())
    for text in (docs, readme):
        assert "lm_searcher-20990101T000000Z.json" in text and "2 seeds, 4 trials" in text
        assert "below random search's at every budget on every problem: **met** (2 (problem, budget)" in text
        assert "zero crashes and every run finished, over all runs: **not met** (1 crash in 6 runs" in text
        assert "lm-searcher-endpoint (endpoint): skipped: no --endpoint." in text
        assert "Tuned adapter `abc`; trained on: bench:gpt-m:latency_h100." in text
    assert "| rea | 2.5 ± 0.5 | 1.25 ± 0.25 | 2 | 0 | 1.5 / 2.0 |  |" in docs
    assert "| lm-searcher-tuned | **2 (1 left out)** | **0 (1 left out)** | 2 | 1 | 1.0 / 1.0 | loglik 2 |" in docs
    assert "(assessed at 4 trials, the longest run here; 1 problem compared)." in docs
    assert "table's best measured feasible row: 0.5, of 10 such rows" in docs and "- a note" in docs
    assert "| p (unseen in training) | 2.25 ± 0.25 | 1.25 ± 0.25 | **0 (1 left out)** |" in readme
