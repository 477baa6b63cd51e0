"""Scripted LLM runners for the LLM-PP tests: each answers with a function of the request, and records what it got."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from hwnas.core.arch import Arch
from hwnas.llm.base import Completion, LLMError, Request
from hwnas.llm.prompts import arch_line

Answer = Callable[[Request], "str | LLMError"]


def user_text(request: Request) -> str:
    return next(m.content for m in request.messages if m.role == "user")


class ScriptedRunner:
    """Implements LLMRunner: ``answer(request)`` gives the text (or an LLMError to return for that request)."""

    model = "fake:scripted"

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.calls: list[list[Request]] = []

    @property
    def requests(self) -> list[Request]:
        return [r for call in self.calls for r in call]

    def run(self, requests: Sequence[Request]) -> list[Completion | LLMError]:
        self.calls.append(list(requests))
        out: list[Completion | LLMError] = []
        for request in requests:
            text = self.answer(request)
            out.append(text if isinstance(text, LLMError) else Completion(text, self.model))
        return out


class Killed(Exception):
    """Stands for the process dying in the middle of a runner call."""


class DyingRunner(ScriptedRunner):
    """Answers ``budget`` requests in all, then dies inside the call that would exceed it."""

    def __init__(self, answer: Answer, budget: int) -> None:
        super().__init__(answer)
        self.budget = budget

    def run(self, requests: Sequence[Request]) -> list[Completion | LLMError]:
        if len(self.requests) + len(requests) > self.budget:
            raise Killed(f"killed after {len(self.requests)} answers")
        return super().run(requests)


def query_arch(request: Request, archs: Iterable[Arch]) -> Arch:
    """The arch a prediction prompt asks about: of the candidates, the one whose line appears last in the prompt
    (demonstrations come first, the query last), whatever the template's wording."""
    text = user_text(request)
    return max(archs, key=lambda a: text.rfind(arch_line(a)))


def oracle(truth: dict[str, float], archs: Iterable[Arch], *, fmt: str = "{:.2f}") -> Answer:
    """Answers each prompt with the true value of its query arch, wrapped in prose."""
    pool = list(archs)

    def answer(request: Request) -> str:
        return f"I estimate the BLEU at {fmt.format(truth[query_arch(request, pool).arch_id])}."

    return answer
