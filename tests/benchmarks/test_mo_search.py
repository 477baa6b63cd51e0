"""benchmarks/mo_search.py, hwnas's searchers against syne-tune's: the ``--quick`` run end to end (both sides scored
by the same HV code on the same answers, resumed without running anything again, the hwnas side alone when
syne-tune is missing), the config space's round trip, the goals and the rendered tables. The syne-tune parts skip
without syne-tune; everything skips without HWNAS_DATA_DIR (the benchmark table)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
PROBLEM = "gpt-s-perplexity-latency-h100"


def _load(name: str) -> ModuleType:
    """A benchmark module, imported as the benchmark imports its siblings."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


mo_search = _load("mo_search")
peer = _load("mo_search_peer")
summary = _load("mo_search_summary")
common = _load("rendering.common")
rendering = _load("rendering.mo_search")

HAS_SYNE_TUNE = importlib.util.find_spec("syne_tune") is not None
needs_syne_tune = pytest.mark.skipif(
    not HAS_SYNE_TUNE, reason="syne-tune is not installed (pip install -e .[benchmarks])"
)


@pytest.fixture(scope="module")
def cache(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The surrogates fitted once for the session, in the folder the suite tests use too."""
    folder = tmp_path_factory.getbasetemp() / "bench-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HWNAS_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def quick(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``--quick`` run (gpt-s perplexity / H100 latency, 2 seeds, budgets 20 and 40)."""
    root = tmp_path_factory.mktemp("mo-search")
    args = ["--quick", "--out", str(root / "work"), "--results-dir", str(root / "results")]
    path = mo_search.main(args)
    return {"args": args, "path": path, "data": json.loads(path.read_text()), "work": root / "work" / PROBLEM}


def test_quick_run_scores_both_sides_on_the_same_terms(quick: dict[str, Any]) -> None:
    data = quick["data"]
    assert data["quick"] and data["settings"]["budgets"] == [20, 40] and data["settings"]["seeds"] == [0, 1]
    assert data["versions"]["torch"] and "syne-tune" in data["versions"] and data["machine"]["cpu_count"]
    problem = data["problems"][PROBLEM]
    hwnas = [f"hwnas:{a}" for a in ("random", "nsga2", "morea")]
    assert list(problem["methods"])[:3] == hwnas
    for name, entry in problem["methods"].items():
        assert entry["seeds"] == [0, 1] and set(entry["table"]) == {"20", "40"}
        for cell in entry["table"].values():
            assert cell["n"] + cell["short_runs"] == 2 and 0 < cell["mean"] < 1.5 and cell["se"] is not None
        assert entry["table"]["40"]["mean"] >= entry["table"]["20"]["mean"]
        assert entry["wall_s"]["timed_runs"] == 2 and 0 < entry["wall_s"]["median"] <= entry["wall_s"]["max"]
        curve = entry["curve"]
        assert curve["evaluations"][0] == 1 and curve["evaluations"][-1] == 40 and 20 in curve["evaluations"]
        assert np.all(np.diff(curve["mean"]) >= 0)
        side = name.split(":")[0]
        for run in entry["runs"]:
            assert run["evaluations"] == 40 and run["wall_s"] > 0
            assert (quick["work"] / (run["run_dir"] if side == "hwnas" else run["run_file"])).exists()
    assert quick["path"].with_name(quick["path"].stem + "-hv.png").is_file()
    goals = data["goals"]
    assert goals["time"]["assessed"] is False and "40 evaluations" in goals["time"]["reason"]
    for budget, cell in problem["comparison"].items():
        assert cell["hwnas"]["method"] in hwnas
        if HAS_SYNE_TUNE:
            assert cell["syne-tune"]["method"].startswith("syne-tune:")
            assert cell["difference"] == pytest.approx(cell["hwnas"]["mean"] - cell["syne-tune"]["mean"])
            assert cell["within_se"] == (abs(cell["difference"]) <= cell["combined_se"])
            assert (f"{PROBLEM}@{budget}" in goals["hypervolume"]["not_higher"]) != cell["hwnas_higher"]
    assert goals["hypervolume"]["cells"] == (2 if HAS_SYNE_TUNE else 0)


@needs_syne_tune
def test_syne_tune_methods_run_or_say_why_not(quick: dict[str, Any]) -> None:
    data = quick["data"]
    methods = data["syne_tune"]["methods"]
    assert methods["random"]["status"] == methods["morea"]["status"] == "ok"
    assert "MultiObjectiveRegularizedEvolution" in methods["morea"]["searcher"]
    assert "random_scalarization" in " ".join(methods["rs-bo"]["errors"])
    assert "nsga2_searcher" in " ".join(methods["nsga2"]["errors"])
    assert "single metric" in data["syne_tune"]["random_search_baseline_two_metrics"]
    assert "0x" not in data["syne_tune"]["random_search_baseline_two_metrics"]
    runs = data["problems"][PROBLEM]["methods"]["syne-tune:morea"]["runs"]
    for run in runs:
        assert run["stop"] == "budget" and run["suggestions"] == 40 + run["repeats"]
        lines = (quick["work"] / run["run_file"]).read_text().splitlines()
        assert json.loads(lines[0])["kind"] == "header" and json.loads(lines[-1])["kind"] == "done"
        assert sum(json.loads(line)["kind"] == "eval" for line in lines) == 40


def test_the_same_arch_gets_the_same_answer_on_both_sides(quick: dict[str, Any]) -> None:
    """The first archs of an hwnas run, put through the peer's config mapping and evaluator, answer as in the run;
    and archs a peer run evaluated one at a time answer as the suite's evaluator does in one batch."""
    check = quick["data"]["problems"][PROBLEM]["answer_check"]
    assert check["archs"] == 5 and check["identical"] and check["max_relative_difference"] <= check["rtol"]
    if not HAS_SYNE_TUNE:
        return
    from hwnas.core.arch import Arch
    from hwnas.search.evaluator import build_evaluator
    from hwnas.spaces import get_space
    from hwnas.studies.problem import load_problem

    problem = load_problem(PROBLEM)
    block = problem.evaluator_blocks()[0]
    suite_side = build_evaluator(block["name"], get_space(problem.space), block["options"])
    lines = (quick["work"] / "syne-tune" / "morea" / "seed-0.jsonl").read_text().splitlines()
    evaluated = [json.loads(line) for line in lines if json.loads(line)["kind"] == "eval"][:20]
    answers = suite_side.evaluate([Arch.from_dict(e["arch"]) for e in evaluated])
    for line, answer in zip(evaluated, answers, strict=True):
        assert set(answer) == set(line["metrics"])
        for key, value in answer.items():
            assert value == pytest.approx(line["metrics"][key], rel=peer.ANSWER_RTOL)


def test_a_second_run_runs_nothing_again(quick: dict[str, Any]) -> None:
    again = json.loads(mo_search.main(quick["args"]).read_text())
    first, second = quick["data"]["problems"][PROBLEM], again["problems"][PROBLEM]
    for name, entry in first["methods"].items():
        assert second["methods"][name]["table"] == entry["table"]
        assert second["methods"][name]["runs"] == entry["runs"]  # the walls too: replays are not timed again
    assert second["comparison"] == first["comparison"]


def test_without_syne_tune_the_hwnas_side_runs_alone(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "syne_tune" or m.startswith("syne_tune.")] or ["syne_tune"]:
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]  # import fails: not installed
    args = ["--quick", "--hwnas-algorithms", "random", "--budgets", "10,20", "--seeds", "2"]
    path = mo_search.main([*args, "--out", str(tmp_path / "work"), "--results-dir", str(tmp_path)])
    data = json.loads(path.read_text())
    assert data["syne_tune"]["installed"] is False
    assert all(m["status"] == "unavailable" for m in data["syne_tune"]["methods"].values())
    methods = data["problems"][PROBLEM]["methods"]
    assert list(methods) == ["hwnas:random"] and methods["hwnas:random"]["table"]["20"]["n"] == 2
    assert data["goals"]["hypervolume"]["met"] is None and data["goals"]["hypervolume"]["cells"] == 0
    assert rendering.goal_lines(data)[0] == (
        "- Goal: hwnas's best method has a higher mean HV than syne-tune's best at every budget on every problem: "
        "not assessed (no syne-tune method ran)."
    )


@pytest.mark.parametrize("space_name", ["gpt-s", "gpt-l"])
def test_configs_and_archs_map_one_to_one(space_name: str) -> None:
    from hwnas.spaces import get_space

    space = get_space(space_name)
    keys = peer.config_keys(space)
    layers = max(int(c) for c in space.gene("n_layer").choices)
    assert len(keys) == 3 + 2 * layers and keys[2] == ("n_head_0", "n_head", 0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        arch = space.sample(rng)
        config = peer.arch_to_config(space, arch)
        assert set(config) == {k for k, _, _ in keys}
        assert peer.config_to_arch(space, config) == arch
    longest = space.make({**space.largest().genes})
    padded = peer.arch_to_config(space, longest) | {f"n_head_{layers - 1}": space.gene("n_head").choices[0]}
    shorter = {**padded, "n_layer": min(space.gene("n_layer").choices)}
    assert len(peer.config_to_arch(space, shorter)["n_head"]) == min(space.gene("n_layer").choices)
    if HAS_SYNE_TUNE:
        domains = peer.config_space(space)
        assert list(domains) == [k for k, _, _ in keys]
        assert list(domains["n_head_0"].categories) == list(space.gene("n_head").choices)
        assert list(domains["bias"].categories) == [True, False]


@needs_syne_tune
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # syne-tune 0.16's np.array(tensor) under numpy 2
def test_ehvi_runs_with_botorch(cache: Path, tmp_path: Path) -> None:
    """syne-tune's EHVI gets past its random start into BoTorch (the fused qLogEHVI kernel switched off) and stops
    on its own when it only repeats itself."""
    pytest.importorskip("botorch")
    from hwnas.studies.problem import load_problem

    method = peer.METHODS["ehvi-ref"]
    settings = peer.PeerSettings(evaluations=5, population=20, max_suggestions=6, max_repeat_streak=3)
    run = peer.run_peer(load_problem(PROBLEM), method, 0, settings, tmp_path / "seed-0.jsonl")
    assert run.suggestions > 3 and len(run.evaluations) >= 3  # num_init_random = 3, then the GP
    assert run.stop in ("budget", "repeat streak", "suggestion cap") and run.new
    stored = peer.read_run(tmp_path / "seed-0.jsonl", settings.header(load_problem(PROBLEM), method, 0))
    assert (
        stored is not None
        and not stored.new
        and [e.arch_id for e in stored.evaluations] == [e.arch_id for e in run.evaluations]
    )


# the goals and the rendered tables (synthetic, no search) ----------------------------------------------------------
def _entry(means: dict[int, float | None], se: float = 0.01, walls: tuple[float, ...] = (1.0, 2.0)) -> dict[str, Any]:
    table = {str(b): {"mean": m, "se": se if m is not None else None, "n": 2 if m is not None else 0,
                      "short_runs": 0 if m is not None else 2} for b, m in means.items()}  # fmt: skip
    runs = [{"seed": i, "evaluations": 500, "wall_s": w} for i, w in enumerate(walls)]
    return {"seeds": [0, 1], "table": table, "wall_s": {"median": float(np.median(walls)), "max": max(walls)},
            "runs": runs}  # fmt: skip


def _problem() -> dict[str, Any]:
    methods = {
        "hwnas:random": _entry({100: 0.70, 500: 0.75}),
        "hwnas:nsga2": _entry({100: 0.72, 500: 0.80}, walls=(3.0, 12.0)),
        "hwnas:ehvi": _entry({100: 0.74, 500: None}, walls=(300.0, 400.0)),
        "syne-tune:morea": _entry({100: 0.745, 500: 0.79}),
        "syne-tune:ehvi": _entry({100: None, 500: None}),
    }
    return {"problem": {"objectives": ["perplexity:min", "latency@h100:min"], "reference": [1.1, 1.1]},
            "methods": methods, "comparison": summary.compare(methods, [100, 500])}  # fmt: skip


def test_each_sides_best_is_compared_within_one_combined_standard_error() -> None:
    problem = _problem()
    at_100, at_500 = problem["comparison"]["100"], problem["comparison"]["500"]
    assert at_100["hwnas"]["method"] == "hwnas:ehvi" and at_100["syne-tune"]["method"] == "syne-tune:morea"
    assert at_100["difference"] == pytest.approx(-0.005) and at_100["within_se"] and not at_100["hwnas_higher"]
    assert at_100["combined_se"] == pytest.approx(0.01 * 2**0.5)
    assert at_500["hwnas"]["method"] == "hwnas:nsga2" and at_500["difference"] == pytest.approx(0.01)
    assert at_500["within_se"] and at_500["hwnas_higher"]  # 0.01 <= 0.0141
    goal = summary.hv_goal({"p": problem})
    assert goal == {**goal, "cells": 2, "hwnas_higher": 1, "met": False, "within_se": ["p@100", "p@500"],
                    "not_higher": ["p@100"]}  # fmt: skip
    timing = summary.time_goal({"p": problem}, 500)
    assert set(timing["methods"]) == {"random", "nsga2"}  # BO (ehvi) and syne-tune are not held to it
    assert timing["methods"]["nsga2"] == {"max_s": 12.0, "median_s": 7.5, "runs": 2, "met": False}
    assert timing["met"] is False and summary.time_goal({"p": problem}, 100)["assessed"] is False


def test_rendered_blocks_come_from_the_newest_full_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.setattr(common, "ROOT", tmp_path)
    monkeypatch.setattr(rendering, "relative", lambda path: str(path.relative_to(tmp_path)))
    assert rendering.mo_search() == rendering.NO_RESULT
    problems = {"p": _problem()}
    data = {
        "quick": False,
        "settings": {"problems": ["p"], "seeds": [0, 1], "bo_seeds": [0, 1], "budgets": [100, 500], "population": 20},
        "machine": {"cpu_model": "cpu", "cpu_count": 2},
        "syne_tune": {"installed": True, "version": "0.16.0", "methods": {
            "morea": {"title": "MO-REA", "status": "ok"},
            "nsga2": {"title": "NSGA-II", "status": "unavailable", "errors": ["x: ModuleNotFoundError: No module"]}},
            "not_applicable": {"mo-asha": "multi-fidelity"}},
        "goals": {"hypervolume": summary.hv_goal(problems), "time": summary.time_goal(problems, 500)},
        "problems": problems,
    }  # fmt: skip
    (tmp_path / "mo_search-20990101T000000Z.json").write_text(json.dumps(data))
    (tmp_path / "mo_search-20990102T000000Z.json").write_text(json.dumps({**data, "quick": True}))
    (tmp_path / "mo_search-20990101T000000Z-hv.png").write_bytes(b"png")
    docs, readme = "\n".join(rendering.mo_search()), "\n".join(rendering.mo_search_summary())
    for text in (docs, readme):
        assert "mo_search-20990101T000000Z.json" in text  # the full result, not the newer quick one
        assert "**not met**, hwnas higher at 1 of 2 (problem, budget) pairs; not higher at: p@100" in text
        assert "within one combined standard error at: p@100, p@500" in text
        assert (
            "**not met**; slowest run per method: random 2.00 s (median 1.50, 2 runs); nsga2 12.00 s (median 7.50"
            in text
        )
    assert "| hwnas:nsga2 | 0.7200 ± 0.0100 | **0.8000 ± 0.0100** | 2 | 7.50 / 12.00 |" in docs
    assert "| hwnas:ehvi | **0.7450 ± 0.0100** |" not in docs and "| syne-tune:morea | **0.7450 ± 0.0100** |" in docs
    assert "| syne-tune:ehvi | - (2 short) | - (2 short) |" in docs
    assert "| hwnas best - syne-tune best | -0.0050 (within SE) | +0.0100 (within SE) | | |" in docs
    assert "syne-tune nsga2 (NSGA-II) cannot run: x: ModuleNotFoundError: No module." in docs
    assert "![HV against evaluations](../mo_search-20990101T000000Z-hv.png)" in docs
    assert (
        "| p | ehvi 0.7400 / morea 0.7450 (-0.0050 (within SE)) | nsga2 0.8000 / morea 0.7900 (+0.0100 (within SE)) |"
        in readme
    )


def test_parts_merge_into_one_result_and_a_rerun_part_replaces_its_problem(
    quick: dict[str, Any], tmp_path: Path
) -> None:
    data = quick["data"]
    a = {**data, "problems": {"p": data["problems"][PROBLEM]}, "settings": {**data["settings"], "problems": ["p"]}}
    b = {**data, "problems": {"q": data["problems"][PROBLEM]}, "settings": {**data["settings"], "problems": ["q"]}}
    rerun = json.loads(json.dumps(b))
    for run in rerun["problems"]["q"]["methods"]["hwnas:random"]["runs"]:
        run["wall_s"] = 0.5
    paths = []
    for name, part in (("a", a), ("b", b), ("c", rerun)):
        paths.append(tmp_path / f"mo_search-{name}.json")
        paths[-1].write_text(json.dumps(part))
    merged = json.loads(mo_search.merge(paths, tmp_path / "out").read_text())
    assert list(merged["problems"]) == ["p", "q"] and merged["settings"]["problems"] == ["p", "q"]
    assert merged["replaced"] == [{"problem": "q", "by": "mo_search-c.json"}]
    assert [p["file"] for p in merged["merged_from"]] == ["mo_search-a.json", "mo_search-b.json", "mo_search-c.json"]
    assert merged["problems"]["q"]["methods"]["hwnas:random"]["runs"][0]["wall_s"] == 0.5
    other = {**b, "settings": {**b["settings"], "budgets": [10]}}
    paths[1].write_text(json.dumps(other))
    with pytest.raises(SystemExit, match=r"settings\.budgets differs"):
        mo_search.merge(paths, tmp_path / "out")
