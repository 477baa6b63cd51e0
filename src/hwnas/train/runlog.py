"""The training log (JSONL, one record per logged step) and the progress bar.

On resume the log is cut back to the checkpoint's step, so records written after the last checkpoint by the killed
run are replaced by the resumed run's, and the file reads like one uninterrupted run.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from hwnas.core.files import AppendLog, read_json_lines, write_text_atomic

LOG_FILE = "train_log.jsonl"


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


class TrainLog:
    """Appends JSON records durably (:class:`hwnas.core.files.AppendLog`): a killed run keeps everything it logged,
    and at most a torn last line, which the resumed run drops."""

    def __init__(self, path: Path, *, resume_step: int | None) -> None:
        self.path = path
        if resume_step is None:
            write_text_atomic(path, "")
        else:
            self._truncate_after(resume_step)
        self._log = AppendLog(path, dumps=_line)

    def _truncate_after(self, step: int) -> None:
        records, _ = read_json_lines(self.path, what="training log", valid=lambda r: isinstance(r, dict),
                                     expected="a JSON object")  # fmt: skip
        kept = [record for record in records if int(record.get("step", 0)) <= step]
        write_text_atomic(self.path, "".join(f"{_line(record)}\n" for record in kept))

    def write(self, record: dict[str, Any]) -> None:
        self._log.append(record)

    def close(self) -> None:
        self._log.close()


def read_log(path: str | Path, *, event: str = "train") -> list[dict[str, Any]]:
    """Records of one kind (``train`` or ``valid``) from a training log (a torn last line left out)."""
    records, _ = read_json_lines(
        path, what="training log", valid=lambda r: isinstance(r, dict), expected="a JSON object"
    )
    return [r for r in records if r.get("event") == event]


class ProgressBar:
    """A rich progress bar showing loss, lr and tokens/s; does nothing when quiet (or on ranks other than 0)."""

    def __init__(self, *, total: int, start: int, enabled: bool) -> None:
        self._progress: Progress | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]train"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}  lr {task.fields[lr]}  {task.fields[tps]} tok/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self._task = self._progress.add_task("train", total=total, completed=start, loss="-", lr="-", tps="-")

    def __enter__(self) -> ProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, step: int, record: dict[str, Any] | None) -> None:
        if self._progress is None:
            return
        if record is None:
            self._progress.update(self._task, completed=step)
            return
        loss, lr, tps = f"{record['loss']:.3f}", f"{record['lr']:.2e}", f"{record['tokens_per_s']:,.0f}"
        self._progress.update(self._task, completed=step, loss=loss, lr=lr, tps=tps)
