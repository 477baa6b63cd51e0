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

from hwnas.core.files import write_text_atomic

LOG_FILE = "train_log.jsonl"


class TrainLog:
    """Appends JSON records; each line is flushed so a killed run keeps everything it logged."""

    def __init__(self, path: Path, *, resume_step: int | None) -> None:
        self.path = path
        if resume_step is None:
            path.write_text("", encoding="utf-8")
        else:
            self._truncate_after(resume_step)
        self._handle = path.open("a", encoding="utf-8")

    def _truncate_after(self, step: int) -> None:
        if not self.path.is_file():
            return
        kept = [line for line in self.path.read_text(encoding="utf-8").splitlines() if _step_of(line) <= step]
        write_text_atomic(self.path, "".join(f"{line}\n" for line in kept))

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def _step_of(line: str) -> int:
    try:
        return int(json.loads(line).get("step", 0))
    except (ValueError, AttributeError):
        return 0


def read_log(path: str | Path, *, event: str = "train") -> list[dict[str, Any]]:
    """Records of one kind (``train`` or ``valid``) from a training log."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
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
