"""Record answers once with a real model, replay them deterministically (tests, CI, re-running an analysis).

A replay file is JSONL, one answer per line, in the disk cache's entry format (key, model, messages, sampling, text):
the key is :meth:`Request.cache_key` of the recorded model, so a replayed run asks exactly the same questions and
gets exactly the same answers, with no model and no network.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import append_json_lines, read_json_lines
from hwnas.llm.base import LLMError, Request, scoring_request
from hwnas.llm.cache import cache_entry


def read_replay_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """key -> recorded entry; a malformed line is a DataError naming the file and the line (a last line cut short by
    a kill while recording is left out, as in every append log: :func:`hwnas.core.files.read_json_lines`)."""
    path = Path(path)
    try:
        path.open("rb").close()  # a missing or unreadable file is refused with the system's reason
        entries, _ = read_json_lines(path, what="replay file", valid=_is_answer, expected=ANSWER_LINE)
    except OSError as exc:
        raise DataError(f"cannot read replay file {str(path)!r}: {exc.strerror}") from None
    return {entry["key"]: entry for entry in entries}


ANSWER_LINE = "a JSON object with string fields key, model, text"


def _is_answer(entry: Any) -> bool:
    return isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("key", "model", "text"))


def _first_user_text(request: Request) -> str:
    text = next((m.content for m in request.messages if m.role == "user"), "")
    return text if len(text) <= 60 else text[:57] + "..."


class ReplayClient:
    """Answers only from a replay file; an unrecorded request is an :class:`LLMError` (never a silent guess)."""

    cacheable = False  # the file already is a cache; copying it into the response cache would add nothing
    choice_scoring = True  # recorded scores, or a recorded text read as "this choice and no other"

    def __init__(self, path: str | Path, *, model: str | None = None) -> None:
        self.path = Path(path)
        self._entries = read_replay_file(self.path)
        recorded = sorted({e["model"] for e in self._entries.values()})
        if model is None:
            if len(recorded) != 1:
                raise ConfigError(
                    f"replay file {str(self.path)!r} holds answers of {len(recorded)} models "
                    f"({', '.join(recorded) or 'none'}); set llm.model to the one to replay"
                )
            model = recorded[0]
        self.model = model

    def __repr__(self) -> str:
        return f"ReplayClient({str(self.path)!r}, model={self.model!r}, answers={len(self._entries)})"

    def describe(self) -> dict[str, object]:
        return {"replay_file": str(self.path), "answers": len(self._entries)}

    def complete(self, request: Request, *, timeout_s: float) -> str:
        key = request.cache_key(self.model)
        entry = self._entries.get(key)
        if entry is None or entry["model"] != self.model:
            raise LLMError(
                f"replay file {str(self.path)!r} has no answer for request {key} (model {self.model!r}, "
                f"user message {_first_user_text(request)!r}); record it against a real model with --llm-record"
            )
        return str(entry["text"])

    def score_choices(self, request: Request, choices: list[str], *, timeout_s: float) -> list[float]:
        """Recorded scores when the file holds them (a run with a scoring model); otherwise the recorded answer
        text: 0 for the choice it is (stripped), -inf for the others (all -inf when it is none of them)."""
        recorded = self._entries.get(scoring_request(request, choices).cache_key(self.model))
        if recorded is not None and recorded["model"] == self.model:
            return [float(x) for x in json.loads(recorded["text"])]
        text = self.complete(request, timeout_s=timeout_s).strip()
        return [0.0 if text == choice else float("-inf") for choice in choices]


def _answer_line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False)  # prompts and answers stay readable in any language


class Recorder:
    """Appends every answer a runner returns to a replay file (once per key), fsync'd line by line
    (:func:`hwnas.core.files.append_json_lines`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._keys = set(read_replay_file(self.path)) if self.path.exists() else set()

    def __repr__(self) -> str:
        return f"Recorder({str(self.path)!r})"

    def record(self, model: str, request: Request, text: str, *, elapsed_s: float) -> bool:
        """Append one answer; False when the file already holds this key."""
        entry = cache_entry(model, request, text, elapsed_s=elapsed_s)
        with self._lock:
            if entry["key"] in self._keys:
                return False
            append_json_lines(self.path, [entry], dumps=_answer_line)
            self._keys.add(entry["key"])
        return True
