"""The pure parts of benchmarks/hybrid_search.py: the schedule, the rotation of the four modes, the comparisons
and the goal check (the LLM row's alone; the reference predictors' figures beside it), the table, the label
statistics and the step cache. (The benchmark itself labels with the LLM and the supernet and runs twelve searches;
it is not run here.)"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from hwnas.search.config import build_config

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    """A benchmark module, imported by name as the benchmark imports its siblings (they share one module each)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


bench = _load("hybrid_search_summary")
steps = _load("hybrid_search_steps")
strong = _load("hybrid_search_strong")


SCHEDULES = [
    (30, "llm-distill:0-14,supernet:15-"),
    (10, "llm-distill:0-4,supernet:5-"),
    (3, "llm-distill:0-0,supernet:1-"),
]


@pytest.mark.parametrize(("iterations", "text"), SCHEDULES)
def test_schedule_is_half_and_half_and_valid_for_search(iterations: int, text: str) -> None:
    assert bench.schedule(iterations) == text
    config = build_config({"space": "tiny", "fitness_schedule": text, "iterations": iterations})
    assert [str(p) for p in config.schedule()] == text.split(",")
    with pytest.raises(ValueError, match="at least 2"):
        bench.schedule(1)


def test_modes_rotate_so_each_holds_each_place_once() -> None:
    count = len(bench.MODES)
    orders = [bench.mode_order(i) for i in range(count)]
    assert orders[0] == ("supernet", "hybrid-llm", "hybrid-strong", "hybrid-aligned")
    assert all(sorted(order) == sorted(bench.MODES) for order in orders)
    for place in range(count):
        assert sorted(order[place] for order in orders) == sorted(bench.MODES)
    assert bench.mode_order(count) == orders[0]


def _run(search_s: float, bleu: float, loss: float = 2.0, evaluations: int = 100, arch: str = "") -> dict:
    iterations = [search_s * 0.3, search_s * 0.2, search_s * 0.25, search_s * 0.25]
    counts = {"evaluations": evaluations}
    return {
        "best_arch_id": arch or f"arch-{loss}-{bleu}",
        "search_s": search_s,
        "process_s": search_s + 4.0,
        "best_valid_loss": loss,
        "bleu": bleu,
        "iterations_s": iterations,
        "phases_s": [search_s * 0.1, search_s * 0.9],
        "counts": counts,
        "phase_counts": [{"evaluations": 999}, counts],
    }


def _runs() -> dict:
    return {
        1: {
            "supernet": _run(60.0, 10.0),
            "hybrid-llm": _run(30.0, 9.8, 2.01),
            "hybrid-strong": _run(24.0, 10.1, 1.99, evaluations=50),
            "hybrid-aligned": _run(30.0, 10.0, 2.0),
        },
        2: {
            "supernet": _run(40.0, 10.0),
            "hybrid-llm": _run(24.0, 9.5),
            "hybrid-strong": _run(16.0, 10.0),
            "hybrid-aligned": _run(20.0, 10.0),
        },
    }


def test_summary_checks_the_goal_on_the_llm_row_only() -> None:
    summary = bench.summarize(_runs())
    llm = summary["vs_supernet"]["hybrid-llm"]
    assert llm["per_seed"][1]["ratio_search"] == pytest.approx(0.5)
    assert llm["per_seed"][2]["bleu_diff"] == pytest.approx(-0.5)
    goals = summary["goals"]
    assert goals["row"] == "hybrid-llm"
    assert goals["ratio_search_mean"] == pytest.approx(54 / 100) and goals["ratio_met"]
    assert goals["ratio_process_mean"] == pytest.approx(62 / 108)
    assert goals["bleu_diff_mean"] == pytest.approx(-0.35) and not goals["bleu_met"] and not goals["met"]
    assert goals["bleu_met_per_seed"] == {1: True, 2: False}
    assert set(summary["references"]) == {"hybrid-strong", "hybrid-aligned"}
    assert summary["references"]["hybrid-aligned"]["ratio_search_mean"] == pytest.approx(0.5)
    strong_figures = summary["references"]["hybrid-strong"]
    assert strong_figures["ratio_search_mean"] == pytest.approx(40 / 100)
    assert strong_figures["bleu_diff_mean"] == pytest.approx(0.05)
    assert strong_figures["valid_loss_diff_mean"] == pytest.approx(-0.005)
    assert strong_figures["counts_towards_goal"] is False and "met" not in strong_figures
    assert summary["mean"]["hybrid-strong"]["search_s"] == pytest.approx(20.0)
    assert summary["searches_measured_side_by_side"]
    runs = _runs()
    runs[2]["supernet"]["reused"] = True  # one search taken from an earlier invocation
    assert not bench.summarize(runs)["searches_measured_side_by_side"]


def test_a_reference_row_meeting_the_ratio_does_not_meet_the_goal() -> None:
    modes = {"hybrid-llm": _run(70.0, 10.0), "hybrid-strong": _run(40.0, 10.0), "hybrid-aligned": _run(45.0, 10.0)}
    runs = {1: {"supernet": _run(100.0, 10.0), **modes}}
    summary = bench.summarize(runs)
    assert all(r["ratio_search_mean"] <= bench.GOAL_RATIO for r in summary["references"].values())
    assert not summary["goals"]["ratio_met"] and not summary["goals"]["met"]
    table = bench.format_table(runs, summary, one_off_s={"hybrid-strong": 41.6, "hybrid-aligned": 3.2})
    assert "0.700 -> not met" in table and "ratio 0.400" in table and "took 42 s" in table
    assert "supernet-loss predictor (ref.)" in table and "took 3 s: wall-clock ratio 0.450" in table


def test_table_lists_every_mode_with_its_ratio() -> None:
    runs = _runs()
    summary = bench.summarize(runs)
    table = bench.format_table(runs, summary)
    assert "| mean | hybrid, LLM-distilled | 27.0 |" in table and "0.540 -> met" in table
    assert "-0.35 -> not met" in table
    assert "| 1 | hybrid, supernet-BLEU predictor (ref.) | 24.0 | 28.0 | 1.9900 | 10.10 | 0.400 |" in table
    assert "| 2 | supernet-only | 40.0 | 44.0 | 2.0000 | 10.00 |  |" in table
    assert "Reference, not a goal check" in table and "ratio 0.400, BLEU +0.05" in table
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 2 * 4 + 4  # header, seeds x modes, means


def test_searches_ending_at_one_model_make_the_bleu_goal_not_informative() -> None:
    modes = {"hybrid-llm": _run(30.0, 10.0), "hybrid-strong": _run(30.0, 10.0), "hybrid-aligned": _run(30.0, 10.0)}
    runs = {seed: {"supernet": _run(100.0, 10.0), **modes} for seed in (1, 2)}
    summary = bench.summarize(runs)
    goals = summary["goals"]
    assert summary["found_archs"]["distinct"] == 1 and summary["found_archs"]["searches"] == 8
    assert goals["ratio_met"] and goals["bleu_diff_mean"] == 0.0  # within the BLEU margin, yet not a pass:
    assert goals["bleu_informative"] is False and goals["bleu_met"] is None and not goals["met"]
    assert goals["bleu_verdict"] == "not informative"
    table = bench.format_table(runs, summary, problem=bench.problem_text([]))
    assert table.startswith("Problem: unconstrained.")
    assert "+0.00 -> not informative (all 8 searches ended at the same model" in table and "+0.00 -> met" not in table
    assert "1 distinct model (1 arch id) over 8 searches" in table


def test_two_arch_ids_of_one_network_count_as_one_model() -> None:
    """Equal valid loss and BLEU to the last digit is one network under two ids (e.g. a decoder attending the
    'last 2' of a single encoder layer); another loss is another model, and the BLEU goal can then fail."""
    same = {"supernet": _run(60.0, 10.0, arch="a"), "hybrid-llm": _run(50.0, 10.0, arch="b")}
    other = {"supernet": _run(60.0, 10.0, arch="a"), "hybrid-llm": _run(50.0, 9.0, 2.1, arch="c")}
    found = bench.found_archs({1: same, 2: other})
    assert (found["distinct"], found["distinct_arch_ids"], found["searches"]) == (2, 3, 4)
    assert found["per_mode"] == {"supernet": 1, "hybrid-llm": 2}
    assert found["seeds_elsewhere_than_supernet_only"] == {"hybrid-llm": 1}
    goals = bench.summarize({1: same, 2: other})["goals"]
    assert goals["bleu_informative"] and goals["bleu_met"] is False and goals["bleu_verdict"] == "not met"


def test_the_first_results_are_summarised_with_the_modes_they_hold() -> None:
    runs = bench.renamed({1: {"supernet": _run(20.0, 10.4, 3.26), "hybrid": _run(25.0, 10.3, 3.40)}})
    assert bench.modes_of(runs) == ("supernet", "hybrid-llm")
    summary = bench.summarize(runs)
    assert summary["references"] == {} and summary["goals"]["ratio_search_mean"] == pytest.approx(1.25)
    assert summary["goals"]["bleu_verdict"] == "met" and set(summary["drivers"]["mean"]) == {
        "ratio_supernet_evaluations_hybrid-llm",
        "supernet_only_first_half_share",
    }
    table = bench.format_table(runs, summary)
    assert "| 1 | hybrid, LLM-distilled | 25.0 |" in table and "Reference" not in table


def test_the_problem_is_worded_with_its_feasible_archs() -> None:
    assert bench.problem_text(["params<=9"]) == "`params<=9`"
    counted = {"space_size": 21760, "feasible": 8400}
    assert (
        bench.problem_text(["params<=9", "flops<=5"], counted)
        == "`params<=9`, `flops<=5` (8,400 feasible archs of 21,760)"
    )
    assert bench.problem_text([], counted) == "unconstrained"


def test_feasible_archs_are_counted_only_for_analytic_constraints(tmp_path: Path) -> None:
    main = _load("hybrid_search")
    smallest = steps.Settings(work=tmp_path, constraints=("params<=53376",))  # the tiny space's smallest size
    counted = main.feasible_archs(smallest)
    assert counted["space_size"] == 21760 and 1 <= counted["feasible"] < 100
    assert main.feasible_archs(steps.Settings(work=tmp_path, constraints=()))["feasible"] == 21760
    assert main.feasible_archs(steps.Settings(work=tmp_path, constraints=("latency<=5",)))["feasible"] is None


def test_drivers_count_supernet_evaluations_per_hybrid() -> None:
    drivers = bench.summarize(_runs())["drivers"]
    assert drivers["per_seed"][1]["supernet_only_first_half_share"] == pytest.approx(0.5)
    assert drivers["per_seed"][1]["ratio_supernet_evaluations_hybrid-strong"] == pytest.approx(0.5)
    assert drivers["mean"]["ratio_supernet_evaluations_hybrid-llm"] == pytest.approx(1.0)
    assert drivers["mean"]["ratio_supernet_evaluations_hybrid-strong"] == pytest.approx(0.75)
    assert drivers["mean"]["ratio_supernet_evaluations_hybrid-aligned"] == pytest.approx(1.0)
    assert drivers["per_seed"][2]["phases_s"]["hybrid-strong"] == pytest.approx([1.6, 14.4])


def test_label_stats_show_how_varied_labels_are() -> None:
    stats = strong.label_stats([10.61, 10.77, 10.61, 10.61])
    assert (stats["labels"], stats["distinct"], stats["min"], stats["max"]) == (4, 2, 10.61, 10.77)
    assert stats["std"] == pytest.approx(0.069282, abs=1e-6)
    assert strong.label_stats([3.0])["std"] == 0.0


def test_steps_are_cached_by_their_settings(tmp_path: Path) -> None:
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"value": len(calls)}

    path = tmp_path / "step.json"
    assert steps.cached(path, {"n": 3, "where": tmp_path}, compute) == {"value": 1, "reused": False}
    again = steps.cached(path, {"n": 3, "where": tmp_path}, compute)
    assert again["value"] == 1 and again["reused"] and again["measured_utc"].startswith("20")
    assert len(calls) == 1
    with pytest.raises(SystemExit, match=r"other settings \(n\)"):
        steps.cached(path, {"n": 4, "where": tmp_path}, compute)


def test_settings_from_flags_and_smoke(tmp_path: Path) -> None:
    flags = argparse.Namespace(
        work=tmp_path,
        train_steps=None,
        n=50,
        iterations=None,
        population=None,
        seeds=[7],
        constraint=["params<=9"],
        reuse_searches=False,
    )
    settings = steps.Settings.from_args(flags, {})
    assert (settings.n, settings.seeds, settings.iterations, settings.smoke) == (50, (7,), 30, False)
    assert settings.constraints == ("params<=9",) and not settings.reuse_searches
    assert steps.Settings.from_args(argparse.Namespace(**vars(flags) | {"reuse_searches": True}), {}).reuse_searches
    smoke = steps.Settings.from_args(flags, steps.SMOKE)
    assert smoke.smoke and smoke.n == 50 and smoke.iterations == steps.SMOKE["iterations"]
    assert smoke.describe()["work"] == str(tmp_path) and smoke.describe()["space"] == "tiny"


def test_the_default_problem_is_constrained_and_can_be_lifted() -> None:
    main = _load("hybrid_search")
    default = steps.Settings.from_args(main._parser().parse_args([]), {})
    assert default.constraints == steps.DEFAULT_CONSTRAINTS and default.constraints
    lifted = steps.Settings.from_args(main._parser().parse_args(["--unconstrained"]), steps.SMOKE)
    assert lifted.constraints == () and lifted.smoke
    other = main._parser().parse_args(["--constraint", "flops<=2e6", "--constraint", "params<=9e4"])
    assert steps.Settings.from_args(other, {}).constraints == ("flops<=2e6", "params<=9e4")
    with pytest.raises(SystemExit):
        main._parser().parse_args(["--unconstrained", "--constraint", "params<=9"])


def test_main_module_wires_the_modes_to_their_fitness() -> None:
    main = _load("hybrid_search")
    args = main._parser().parse_args(["--reuse-searches", "--seeds", "1", "2"])
    settings = steps.Settings.from_args(args, {})
    assert settings.reuse_searches and settings.seeds == (1, 2)
    assert main._fitness("supernet", settings) == ["--fitness", "supernet"]
    schedule = ["--fitness-schedule", "llm-distill:0-14,supernet:15-"]
    assert main._fitness("hybrid-llm", settings) == main._fitness("hybrid-strong", settings) == schedule
    assert main._fitness("hybrid-aligned", settings) == schedule


def test_reference_labellers_are_named_for_their_work_folders() -> None:
    assert (strong.STRONG.name, strong.ALIGNED.name) == ("strong", "aligned")
    assert strong.STRONG.bleu_units and not strong.ALIGNED.bleu_units


def test_readme_renders_the_evaluation_ratios_and_the_committed_results() -> None:
    hybrid = _load("rendering.hybrid")
    mean = {"ratio_supernet_evaluations_hybrid-llm": 0.7, "supernet_only_first_half_share": 0.67}
    line = hybrid.hybrid_drivers(mean)[0]
    assert "hybrid-llm 0.700" in line and "67% of its loop time" in line
    assert hybrid.hybrid_drivers({}) == []
    text = "\n".join(hybrid.hybrid_search())  # every committed result file renders
    assert "**Hybrid search**" in text and "Supernet evaluations over supernet-only's" in text


def test_other_spaces_need_a_supernet_checkpoint(tmp_path: Path) -> None:
    flags = argparse.Namespace(work=tmp_path, train_steps=None, n=None, iterations=None, population=None, seeds=None)
    flags = argparse.Namespace(**vars(flags), constraint=None, space="hat-wmt14ende", device="cuda", threads=8)
    settings = steps.Settings.from_args(flags, {})
    assert (settings.space, settings.device, settings.threads) == ("hat-wmt14ende", "cuda", 8)
    assert settings.describe()["space"] == "hat-wmt14ende"
    with pytest.raises(SystemExit, match="--space hat-wmt14ende needs --checkpoint"):
        steps.train_supernet(settings, None)
    with pytest.raises(SystemExit, match="no such file"):
        steps.train_supernet(settings, tmp_path / "missing.pt")
