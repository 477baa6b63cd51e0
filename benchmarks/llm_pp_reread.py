"""Re-read a committed LLM-PP result with the current answer rules, without asking the LLM again.

Every answer an LLM-PP run received is in its result file (each attempt's text, in order). When the answer rules of
``hwnas.llm.parsing`` change, the run's scores can be recomputed from those texts: the runner asks again only while
an attempt gives no answer, so reading the recorded attempts in order with the new rules gives what a re-run with
the same seeds would give, as long as the new rules never need an attempt the run did not make (an arch whose
recorded attempts all fail now but stopped before ``max_attempts``). Such an arch makes the re-read refuse, naming
it; re-run ``benchmarks/llm_pp.py`` then.

The new file keeps the original's machine, versions, timings and answers (the re-read makes no LLM call), records
``reread`` (source file, date, hwnas version), and replaces each run's LLM row, split scores and table. The
supernet and baseline rows are copied unchanged.

    python benchmarks/llm_pp_reread.py benchmarks/results/llm_pp-20261202T191048Z.json
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import statistics
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import package_versions, write_result

from hwnas.llm.evaluation import SplitScore, format_table, json_safe, score_split, summarize
from hwnas.llm.parsing import ValueRange, parse_answer


def reread_prediction(prediction: dict[str, Any], llm: dict[str, Any]) -> float | None:
    """The prediction's value under the current rules, from its recorded attempts (updated in place)."""
    value_range, metric = ValueRange(*llm["value_range"]), llm["metric"]
    wanted, attempts = int(llm["samples"]), int(llm["max_attempts"])
    values: list[float] = []
    for sample in prediction["samples"]:
        answer = parse_answer(sample["text"], value_range, metric=metric) if sample["text"] is not None else None
        if answer is not None:
            sample["value"], sample["error"] = answer.value, answer.reason
        if answer is not None and answer.value is not None:
            values.append(answer.value)
        if len(values) == wanted:
            break
    if len(values) < wanted and len(prediction["samples"]) < wanted * attempts:
        raise SystemExit(
            f"arch {prediction['arch_id']}: the current rules reject recorded answers the run accepted, and the run "
            f"made {len(prediction['samples'])} of {wanted * attempts} attempts; re-run benchmarks/llm_pp.py"
        )
    if len(values) < wanted:
        prediction["value"] = None
    else:
        prediction["value"] = statistics.median(values) if llm["aggregate"] == "median" else statistics.fmean(values)
    return prediction["value"]  # type: ignore[no-any-return]


def reread_result(result: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The result with its LLM row and split scores recomputed; and how many predictions changed value."""
    new = copy.deepcopy(result)
    changed = 0
    scores: dict[str, list[SplitScore]] = {task: [] for task in new["tasks"]}
    for split in new["splits"]:
        before = [p["value"] for p in split["predictions"]]
        after = [reread_prediction(p, new["llm"]) for p in split["predictions"]]
        changed += sum(a != b for a, b in zip(after, before, strict=True))
        score = score_split(split["task"], split["seed"], [p["true_valid_bleu"] for p in split["predictions"]], after)
        split["score"] = json_safe(asdict(score))
        scores[split["task"]].append(score)
    llm_row = next(row for row in new["rows"] if row["kind"] == "llm")
    llm_row["tasks"] = {task: summarize(task_scores) for task, task_scores in scores.items()}
    return new, changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("result", type=Path, help="an llm_pp-*.json result file")
    parser.add_argument("--out-dir", type=Path, default=None)
    args = parser.parse_args()
    data = json.loads(args.result.read_text())
    if data.get("benchmark") != "llm_pp":
        raise SystemExit(f"{args.result}: not an llm_pp result (benchmark {data.get('benchmark')!r})")
    for run in data["runs"]:
        run["result"], changed = reread_result(run["result"])
        print(f"{run['label']}: {changed} prediction(s) changed\n{format_table(run['result'])}\n")
    data["tables"] = {run["label"]: format_table(run["result"]) for run in data["runs"]}
    data["reread"] = {
        "source": args.result.name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "hwnas": package_versions(("hwnas",))["hwnas"],
    }
    print(f"wrote {write_result('llm_pp', json_safe(data), args.out_dir)}")


if __name__ == "__main__":
    main()
