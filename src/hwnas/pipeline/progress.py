"""A rich progress bar for the pipeline's long stages that disappears in quiet mode (scripts, CI, tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def progress_bar(label: str, *, total: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """Yields ``set_done(n)``: the bar shows n of ``total``. With ``quiet`` nothing is drawn."""
    if quiet:
        yield lambda _done: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.update(task, completed=done)
