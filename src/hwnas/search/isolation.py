"""Finding the arch that kills its worker: a batch whose worker died is evaluated again in halves, not whole.

An arch can kill the process that evaluates it (a segfault in a kernel, the OOM killer, ``os._exit`` in an
extension), every time. Re-running its batch whole would fail the batch's innocent archs with it. So a batch is
evaluated as *pieces* (at first one: the whole batch); a piece of several archs whose worker died is split in two
halves, each run on its own; a piece of one arch whose worker died is run again, alone, until that arch has been in
``max_retries + 1`` dead pieces, and then it alone gets a failed outcome naming the cause. Each arch is settled
once (by the piece that finished with it, or as lost), and the batch's outcomes are in the batch's order. Evaluators
answer per arch (the evaluator contract: an evaluator that raises has each arch asked alone, in any executor), so
an arch's outcome does not depend on the piece it was evaluated in, and innocent archs get the serial outcome.

Bounds, for a batch of ``B`` archs and ``r = max_retries`` (a piece that dies is never re-run whole, so the pieces
form a binary tree whose inner nodes died once each):

- one poison arch costs at most ``max(r, ceil(log2 B)) + 1`` worker deaths, and the innocent halves beside it one
  launch each, at most ``ceil(log2 B)``;
- whatever dies, the batch takes at most ``(B - 1) + B * max(1, r + 1 - floor(log2 B))`` launches in all (``<=
  B * (r + 2) - 1``), reached only when every arch kills its worker; a batch of one arch, ``r + 1`` as before.

Pure bookkeeping, no Ray: :mod:`hwnas.search.ray_executor` runs the pieces.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from hwnas.contracts.evaluator import Outcome
from hwnas.contracts.executor import EvaluationBatch


@dataclass(frozen=True)
class Piece:
    """Archs ``start:stop`` of ``job``'s batch, run as one unit on one worker."""

    job: BatchJob
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def batch(self) -> EvaluationBatch:
        whole = self.job.batch
        known = whole.known[self.start : self.stop] if whole.known else ()
        return EvaluationBatch(whole.evaluators, whole.archs[self.start : self.stop], known)


class BatchJob:
    """One submitted batch and its future: settled, in order, once every arch has an outcome (see module doc)."""

    def __init__(self, batch: EvaluationBatch, future: Future[list[Outcome]], *, max_retries: int) -> None:
        self.batch, self.future, self.max_retries = batch, future, max_retries
        self._outcomes: list[Outcome | None] = [None] * len(batch.archs)
        self._deaths: list[list[str]] = [[] for _ in batch.archs]  # per arch: why each worker that held it died
        self._alone = [0] * len(batch.archs)  # per arch: of those deaths, with this arch alone in its piece
        if not batch.archs:
            future.set_result([])

    def whole(self) -> list[Piece]:
        """The first piece: the batch as it was submitted (none for an empty batch)."""
        return [Piece(self, 0, len(self.batch.archs))] if self.batch.archs else []

    def finished(self, piece: Piece, outcomes: list[Outcome]) -> None:
        """``piece`` came back with one outcome per arch."""
        assert len(outcomes) == len(piece), (len(outcomes), len(piece))
        self._outcomes[piece.start : piece.stop] = outcomes
        self._settle_when_complete()

    def died(self, piece: Piece, cause: str) -> list[Piece]:
        """``piece``'s worker died of ``cause``: the pieces to run next, in batch order (its halves; itself again
        when it holds one arch with retries left; none when that arch is now lost)."""
        for index in range(piece.start, piece.stop):
            self._deaths[index].append(cause)
        if len(piece) > 1:
            middle = piece.start + len(piece) // 2
            return [Piece(self, piece.start, middle), Piece(self, middle, piece.stop)]
        self._alone[piece.start] += 1
        if len(self._deaths[piece.start]) <= self.max_retries:
            return [piece]
        self._outcomes[piece.start] = self._lost(piece.start)
        self._settle_when_complete()
        return []

    def _lost(self, index: int) -> Outcome:
        deaths = self._deaths[index]
        return Outcome(
            {},
            f"ray: a worker died evaluating this arch {len(deaths)} times ({self._alone[index]} with it alone; "
            f"max_retries={self.max_retries}); last: {deaths[-1]}",
        )

    def _settle_when_complete(self) -> None:
        if self.future.done() or any(outcome is None for outcome in self._outcomes):
            return
        self.future.set_result([outcome for outcome in self._outcomes if outcome is not None])
