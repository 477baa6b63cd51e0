"""LLM clients behind one interface (OpenAI-compatible endpoint, embedded SmolLM2, replay file) and the runner that
gives them a disk cache, time-outs, bounded retries and a concurrency limit.

Importing this package is cheap: torch, transformers and openai load only when a client first needs them.
"""

from __future__ import annotations

from hwnas.llm.base import (
    Completion,
    LLMClient,
    LLMError,
    LLMRunner,
    Message,
    Request,
    Sampling,
    TransientLLMError,
    chat,
)
from hwnas.llm.cache import ResponseCache
from hwnas.llm.clients import CLIENTS, LLMSettings, load_settings, make_client, make_runner, register_client
from hwnas.llm.embedded import EmbeddedClient
from hwnas.llm.openai_client import OpenAIClient
from hwnas.llm.replay import Recorder, ReplayClient
from hwnas.llm.runner import Runner

__all__ = [
    "CLIENTS",
    "Completion",
    "EmbeddedClient",
    "LLMClient",
    "LLMError",
    "LLMRunner",
    "LLMSettings",
    "Message",
    "OpenAIClient",
    "Recorder",
    "ReplayClient",
    "Request",
    "ResponseCache",
    "Runner",
    "Sampling",
    "TransientLLMError",
    "chat",
    "load_settings",
    "make_client",
    "make_runner",
    "register_client",
]
