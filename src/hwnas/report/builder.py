"""`build_report(run_dir)`: read a pipeline run directory and write ``report/`` — ``summary.json``, ``report.md`` and
the PNGs (BLEU vs latency of the searched models, baselines and the largest model with the Pareto front and budgets,
search progress, latency parity, training curves). The pipeline's own sections (budget check on the device,
baselines and their candidates, goals) come from :mod:`hwnas.report.sections`; ``hwnas report RUN_DIR`` and the
pipeline's report stage both call this one function.

It reads only files (stage markers, result JSONs, training logs), never models, so it runs in a second on any
finished or partial run and can be tested on a synthetic run directory. Missing parts are left out of the report,
not errors: a run killed before retraining still gets its search figures.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from hwnas.core.errors import DataError
from hwnas.report import plots
from hwnas.report.sections import pipeline_sections

REPORT_DIR = "report"
COMPARISON_FILE = "comparison.json"  # evaluate/: the reference model and the goal checks
STAGE_ORDER = ("supernet", "latency", "predictor", "search", "baselines", "retrain", "evaluate", "report")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _markers(run_dir: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for stage in STAGE_ORDER:
        marker = _json(run_dir / stage / "stage.done")
        if marker is not None:
            found[stage] = marker
    return found


def _log_curve(path: Path) -> dict[str, list[tuple[int, float]]]:
    train, valid = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if record.get("event") == "train" and "loss" in record:
            train.append((int(record["step"]), float(record["loss"])))
        elif record.get("event") == "valid" and record.get("valid_loss"):
            losses = record["valid_loss"]
            value = losses.get("largest", next(iter(losses.values()))) if isinstance(losses, dict) else losses
            valid.append((int(record["step"]), float(value)))
    return {"train": train, "valid": valid}


def training_logs(run_dir: Path) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """label -> curves of the supernet and of each retrained arch."""
    curves = {}
    supernet_log = run_dir / "supernet" / "train_log.jsonl"
    if supernet_log.is_file():
        curves["supernet"] = _log_curve(supernet_log)
    for log in sorted((run_dir / "retrain").glob("*/train_log.jsonl")):
        curves[f"retrain {log.parent.name[:8]}"] = _log_curve(log)
    return curves


def search_histories(run_dir: Path, budgets: list[float]) -> dict[str, list[dict[str, Any]]]:
    histories = {}
    for index, budget in enumerate(budgets):
        result = _json(run_dir / "search" / f"budget-{index}" / "result.json")
        if result is not None:
            histories[f"latency <= {budget:.2f} ms"] = result.get("history", [])
    return histories


def _parity(run_dir: Path) -> tuple[list[float], list[float]]:
    path = run_dir / "predictor" / "parity.csv"
    if not path.is_file():
        return [], []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [float(r["measured_ms"]) for r in rows], [float(r["predicted_ms"]) for r in rows]


def _roles(summary: dict[str, Any]) -> dict[str, list[str]]:
    """arch_id[:8] -> what each retrained model is, budgets grouped per role ("uniform-shrink 4.59, 9.88 ms",
    "largest"), short enough for a legend entry."""
    budgets: dict[str, dict[str, list[str]]] = {}
    for row in summary["models"]:
        budget = f"{row['budget_ms']:.2f}"
        budgets.setdefault(str(row["arch_id"])[:8], {}).setdefault("searched", []).append(budget)
        for name, base in sorted((row.get("baselines") or {}).items()):
            if base:
                budgets.setdefault(str(base["arch_id"])[:8], {}).setdefault(name, []).append(budget)
    roles = {short: [f"{role} {', '.join(values)} ms" for role, values in by_role.items()]
             for short, by_role in budgets.items()}  # fmt: skip
    if summary.get("reference"):
        roles.setdefault(str(summary["reference"]["arch_id"])[:8], []).append("largest")
    return roles


def _role_label(label: str, roles: dict[str, list[str]]) -> str:
    """A training curve's legend entry: the arch id and its roles ("3095e341: searched 9.88 ms; largest")."""
    short = label.removeprefix("retrain ")
    return f"{short}: {'; '.join(roles[short])}" if short in roles else short


def _figures(run_dir: Path, out: Path, summary: dict[str, Any]) -> dict[str, str]:
    figures: dict[str, str] = {}
    if summary["models"]:
        plots.bleu_vs_latency(
            summary["models"], summary["budgets_ms"], out / "bleu_vs_latency.png", reference=summary.get("reference")
        )
        figures["bleu_vs_latency"] = "bleu_vs_latency.png"
    histories = search_histories(run_dir, summary["budgets_ms"])
    if histories:
        plots.search_progress(histories, "valid_loss", out / "search_progress.png")
        figures["search_progress"] = "search_progress.png"
    measured, predicted = _parity(run_dir)
    if len(measured) >= 2:
        from hwnas.predictors import parity_plot

        check = summary.get("predictor") or {}
        kind = "in-sample" if check.get("in_sample") else "held-out"
        title = f"latency predictor, {kind}: MAPE {check.get('mape', float('nan')):.2%}, n={len(measured)}"
        parity_plot(measured, predicted, out / "latency_parity.png", title=title)
        figures["latency_parity"] = "latency_parity.png"
    curves = training_logs(run_dir)
    if curves:
        roles = _roles(summary)
        curves = {_role_label(label, roles): curve for label, curve in curves.items()}
        plots.training_curves(curves, out / "training_curves.png")
        figures["training_curves"] = "training_curves.png"
    return figures


def summarize(run_dir: Path) -> dict[str, Any]:
    """The facts of a run directory as one JSON-able dict (what ``summary.json`` holds)."""
    markers = _markers(run_dir)
    predictor = markers.get("predictor", {})
    evaluated = _json(run_dir / "evaluate" / "results.json") or []
    comparison = _json(run_dir / "evaluate" / COMPARISON_FILE) or {}
    tables = (markers.get("baselines") or {}).get("candidates") or {}
    return {
        "run_dir": str(run_dir),
        "config": str(run_dir / "pipeline.yaml"),
        "stages_done": [s for s in STAGE_ORDER if s in markers],
        "wall_s": {s: m.get("wall_s") for s, m in markers.items()},
        "latency_source": markers.get("latency", {}).get("source"),
        "latency_reliability": predictor.get("latency_reliability"),
        "predictor": predictor.get("check"),
        "budgets_ms": predictor.get("budgets_ms", []),
        "models": [row for row in evaluated if row.get("arch_id")],
        "budgets_without_model": [row["budget_ms"] for row in evaluated if not row.get("arch_id")],
        "latency_margin": predictor.get("latency_margin"),
        "reference": comparison.get("reference"),
        "goals": comparison.get("goals") or {},
        "baseline_candidates": {name: _without_archs(table) for name, table in tables.items()},
    }


def _without_archs(table: dict[str, Any]) -> dict[str, Any]:
    """A baseline's candidate table without the full gene dicts (arch_id and the shrunk values say enough)."""
    rows = [{k: v for k, v in row.items() if k != "arch"} for row in table.get("candidates") or []]
    return {**table, "candidates": rows}


def _fmt(value: Any, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def _models_table(summary: dict[str, Any]) -> list[str]:
    """One row per budget: the model found for it (predicted, measured, loss, BLEU), or the budget no arch met."""
    lines = [
        "| budget (ms) | arch_id | predicted (ms) | measured (ms) | supernet valid loss | BLEU |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in summary["models"]:
        lines.append(
            f"| {_fmt(row['budget_ms'], '.2f')} | `{row['arch_id']}` | {_fmt(row.get('predicted_ms'), '.2f')} | "
            f"{_fmt(row.get('measured_ms'), '.2f')} | {_fmt(row.get('valid_loss'), '.3f')} | "
            f"{_fmt(row.get('bleu'), '.2f')} |"
        )
    for budget in summary["budgets_without_model"]:
        lines.append(f"| {budget:.2f} | (no arch met the budget) | - | - | - | - |")
    return lines


# Figure key (plots drawn by _figures) -> its section title and alt text in report.md.
FIGURE_CAPTIONS = {
    "bleu_vs_latency": "BLEU vs latency: searched models (Pareto front in red), baselines, the largest; budgets dashed",
    "search_progress": "Search progress: best feasible supernet validation loss per iteration",
    "latency_parity": "Latency predictor: predicted vs measured",
    "training_curves": "Training curves (train: label-smoothed loss; valid: NLL, the supernet's largest subnet)",
}


def _markdown(summary: dict[str, Any], figures: dict[str, str]) -> str:
    lines = [f"# hwnas pipeline report: `{summary['run_dir']}`", ""]
    lines += [
        f"Stages done: {', '.join(summary['stages_done']) or 'none'}. Latency source: "
        f"{summary['latency_source'] or '-'}.",
        "",
    ]
    lines += reliability_lines(summary.get("latency_reliability"))
    lines += _models_table(summary)
    check = summary.get("predictor")
    if check:
        kind = "in-sample" if check.get("in_sample") else "held-out"
        lines += [
            "",
            f"Latency predictor ({kind}, n={int(check['n'])}): MAPE {check['mape']:.2%}, "
            f"Kendall tau {check.get('kendall', float('nan')):.3f}.",
        ]
    lines += pipeline_sections(summary)
    for key, name in figures.items():
        lines += ["", f"## {FIGURE_CAPTIONS[key]}", "", f"![{FIGURE_CAPTIONS[key]}]({name})"]
    timings = ", ".join(f"{s} {w:.0f} s" for s, w in summary["wall_s"].items() if w is not None)
    lines += ["", f"Wall time per stage: {timings or '-'}.", ""]
    return "\n".join(lines)


def reliability_lines(data: dict[str, Any] | None) -> list[str]:
    """The verdict on the latency data, as a warning when it is unreliable (the goal checks then say so too)."""
    if not data:
        return []
    from hwnas.hardware.reliability import Reliability

    verdict = Reliability.from_dict(data)
    return [f"> **Warning:** {verdict.sentence()}." if verdict.reliable is False else f"{verdict.sentence()}.", ""]


def build_report(run_dir: str | Path) -> Path:
    """Write ``RUN_DIR/report/{summary.json, report.md, *.png}`` and return the path of ``report.md``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"run directory {str(run_dir)!r} does not exist")
    out = run_dir / REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(run_dir)
    figures = _figures(run_dir, out, summary)
    summary["figures"] = figures
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    report = out / "report.md"
    report.write_text(_markdown(summary, figures), encoding="utf-8")
    return report
