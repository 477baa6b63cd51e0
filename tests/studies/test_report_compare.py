"""`hwnas report SUITE_DIR` and `hwnas bench compare RESULTS...` on real suites (`hwnas bench run` on a 2-D and a
3-D bundled problem, tiny sizes, built once for the module): the PNGs are written and valid, report.md's table is
summary.json's, compare prints every problem with the summaries' means, its JSON is their tables, budgets the suites
did not report come from the runs' traces, and bad input is refused. Skips without HWNAS_DATA_DIR."""

from __future__ import annotations

import json
import math
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.studies.results import curve, ranking
from hwnas.studies.scoring import summarise

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TWO_D = "gpt-s-perplexity-latency-h100"
THREE_D = "gpt-s-perplexity-latency-energy-h100"
SIZES = ["--algorithms", "random,local", "--seeds", "2", "--evaluations", "20", "--population", "5"]


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _refused(*args: str) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def suites(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Two finished suites (2-D with budgets 10,20; 3-D at its last evaluation), the benchmark's surrogates from the
    session's shared cache (as in test_suite.py)."""
    root = tmp_path_factory.mktemp("suites")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HWNAS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "bench-cache"))
        _run("bench", "run", "--problem", TWO_D, *SIZES, "--budgets", "10,20", "--out", str(root / "two"))
        _run("bench", "run", "--problem", THREE_D, *SIZES, "--out", str(root / "three"))
        yield {"two": root / "two", "three": root / "three"}


@pytest.fixture(autouse=True)
def cache(data_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "bench-cache"))


def _summary(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "summary.json").read_text())
    return data


def _cell(stats: dict[str, Any]) -> str:
    return f"{stats['mean']:.4f} ± {stats['se']:.4f}"


def _copy(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to, ignore=shutil.ignore_patterns("report"))
    return to


def _is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes().startswith(PNG_SIGNATURE)


def test_report_of_a_2d_suite_writes_the_pngs_and_the_table(suites: dict[str, Path], tmp_path: Path) -> None:
    suite = _copy(suites["two"], tmp_path / "two")
    summary = _summary(suite)
    printed = _run("report", suite)
    report = suite / "report" / "report.md"
    assert printed.splitlines()[-1] == f"report: {report}"
    for name in ("hypervolume.png", "attainment.png", "fronts.png"):
        assert _is_png(suite / "report" / name), name
    text = report.read_text()
    for algorithm, row in summary["table"].items():
        line = next(line for line in text.splitlines() if line.startswith(f"| {algorithm} | 2 |"))
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")[2:]]
        assert cells == [_cell(row[str(b)]) for b in summary["budgets"]]
        best = max(stats["20"]["mean"] for stats in summary["table"].values())
        assert (f"**{_cell(row['20'])}**" in line) == (row["20"]["mean"] == best)
    for name in ("hypervolume.png", "attainment.png", "fronts.png", "../summary.json", "../random/seed-0"):
        assert f"]({name})" in text
    assert _run("report", suite, "--quiet").strip() == str(report)  # written again: the same files, path only


def test_report_of_a_3d_suite_projects_the_fronts_pairwise(suites: dict[str, Path], tmp_path: Path) -> None:
    from hwnas.report import build_suite_report
    from hwnas.report.suite_plots import front_figure, union_front
    from hwnas.studies.results import load_result

    suite = _copy(suites["three"], tmp_path / "three")
    written = build_suite_report(suite)
    assert sorted(written.figures) == ["fronts", "hypervolume"]  # no attainment surfaces in 3-D
    assert all(_is_png(path) for path in written.figures.values())
    result = load_result(suite)
    runs = {a: result.runs(a) for a in result.algorithms}
    drawn = front_figure(result.problem, runs, tmp_path / "fronts.png")
    assert drawn["pairs"] == [(0, 1), (0, 2), (1, 2)]
    for algorithm, front in drawn["fronts"].items():  # the union of the seeds' fronts, in real units
        ids = {p["arch_id"] for run in runs[algorithm] for p in run["front"]}
        assert 0 < len(front) <= len(ids) and front.shape[1] == 3
        assert np.all(np.diff(front[:, 0]) >= 0)
    assert np.array_equal(union_front(result.problem, runs["random"]), drawn["fronts"]["random"])


def test_the_curves_are_the_tables_mean_and_standard_error(suites: dict[str, Path]) -> None:
    summary = _summary(suites["two"])
    for algorithm, row in summary["table"].items():
        runs = [r for r in summary["runs"] if r["algorithm"] == algorithm]
        line = curve(runs)
        assert len(line.mean) == 20 and np.all(line.n == 2)
        for b in summary["budgets"]:
            assert line.mean[b - 1] == pytest.approx(row[str(b)]["mean"], rel=1e-12)
            assert line.se[b - 1] == pytest.approx(row[str(b)]["se"], rel=1e-9)
            assert row[str(b)] == {**summarise([r["hypervolume"][b - 1] for r in runs]), "short_runs": 0}


def test_compare_prints_every_problem_with_the_summaries_means(suites: dict[str, Path], tmp_path: Path) -> None:
    printed = _run("bench", "compare", suites["two"], suites["three"] / "summary.json")
    two, three = _summary(suites["two"]), _summary(suites["three"])
    assert printed.index(TWO_D) < printed.index(THREE_D)
    blocks = printed.split(f"\n{THREE_D} (")
    for block, summary in zip(blocks, (two, three), strict=True):
        header = next(line for line in block.splitlines() if line.strip().startswith("algorithm"))
        assert header.split()[2:] == [str(b) for b in summary["budgets"]]
        for algorithm, row in summary["table"].items():
            line = next(line for line in block.splitlines() if line.strip().startswith(f"{algorithm} "))
            for b in summary["budgets"]:
                assert _cell(row[str(b)]) in line
            best = max(summary["table"], key=lambda a: summary["table"][a][str(summary["budgets"][-1])]["mean"])
            assert line.rstrip().endswith("*") == (algorithm == best)


def test_compare_json_and_out_hold_the_summaries_tables(suites: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    printed = json.loads(_run("bench", "compare", suites["two"], suites["three"], "--json", "--out", out))
    assert json.loads((out / "compare.json").read_text()) == printed
    assert _is_png(out / "hypervolume.png")
    for name, folder in ((TWO_D, suites["two"]), (THREE_D, suites["three"])):
        summary = _summary(folder)
        entry = printed["problems"][name]
        assert entry["table"] == summary["table"] and entry["budgets"] == summary["budgets"]
        assert entry["problem"] == summary["problem"]
        assert {a: e["source"] for a, e in entry["algorithms"].items()} == {
            a: str(folder / "summary.json") for a in ("random", "local")
        }
        last = str(summary["budgets"][-1])
        means = {a: row[last]["mean"] for a, row in summary["table"].items()}
        assert entry["ranking"][last]["best"] == max(means, key=lambda a: means[a])
    assert printed["notes"] == []


def test_compare_at_other_budgets_reads_the_runs_traces(suites: dict[str, Path]) -> None:
    summary = _summary(suites["two"])
    data = json.loads(_run("bench", "compare", suites["two"], "--budgets", "15,5", "--json"))
    entry = data["problems"][TWO_D]
    assert entry["budgets"] == [5, 15]
    for algorithm, row in entry["table"].items():
        runs = [r for r in summary["runs"] if r["algorithm"] == algorithm]
        for b in (5, 15):
            assert row[str(b)] == {**summarise([r["hypervolume"][b - 1] for r in runs]), "short_runs": 0}


def test_a_repeated_suite_is_used_once_and_other_settings_are_refused(suites: dict[str, Path], tmp_path: Path) -> None:
    again = _copy(suites["two"], tmp_path / "again")
    data = json.loads(_run("bench", "compare", suites["two"], again, "--json"))
    assert data["problems"][TWO_D]["table"] == _summary(suites["two"])["table"]
    assert len(data["notes"]) == 2 and "repeats the runs of" in data["notes"][0]

    other = tmp_path / "other"
    other.mkdir()
    changed = _summary(suites["two"])
    changed["settings"]["population"] = 7
    (other / "summary.json").write_text(json.dumps(changed))
    error = _refused("bench", "compare", suites["two"], other, "--out", tmp_path / "cmp")
    assert f"'{suites['two'] / 'summary.json'}' and '{other / 'summary.json'}'" in error
    assert "different settings (population 5 vs 7)" in error
    assert not (tmp_path / "cmp").exists()

    changed = _summary(suites["two"])
    changed["problem"]["reference"] = [2.0, 2.0]
    (other / "summary.json").write_text(json.dumps(changed))
    assert "define it differently" in _refused("bench", "compare", suites["two"], other)
    assert "budget 21 is not available" in _refused("bench", "compare", suites["two"], "--budgets", "10,21")


def test_an_unfinished_suite_says_the_command_that_finishes_it(suites: dict[str, Path], tmp_path: Path) -> None:
    suite = _copy(suites["two"], tmp_path / "killed")
    (suite / "summary.json").unlink()
    error = _refused("report", suite)
    assert "has no summary.json: the suite did not finish" in error and not (suite / "report").exists()
    assert error == _refused("bench", "compare", suite)
    command = re.search(r"hwnas (bench run .*)$", error.strip())
    assert command is not None
    _run(*shlex.split(command.group(1)))  # the hint is the very command: it replays the runs and scores them
    assert _summary(suite)["table"] == _summary(suites["two"])["table"]


def test_ranking_says_when_the_best_is_within_one_standard_error() -> None:
    table = {
        "a": {"10": {"mean": 0.70, "se": 0.02}, "20": {"mean": 0.80, "se": 0.01}},
        "b": {"10": {"mean": 0.68, "se": 0.01}, "20": {"mean": 0.70, "se": 0.01}},
        "c": {"10": {"mean": None, "se": None}, "20": {"mean": 0.75, "se": None}},
    }
    ranks = ranking(table, [10, 20])
    assert ranks["10"]["best"] == "a" and ranks["10"]["runner_up"] == "b"
    assert ranks["10"]["within_one_se"] is True and ranks["10"]["se_difference"] == pytest.approx(
        math.hypot(0.02, 0.01)
    )
    assert ranks["20"]["best"] == "a" and ranks["20"]["runner_up"] == "c" and ranks["20"]["within_one_se"] is None
