"""The embedded local LLM: SmolLM2-135M-Instruct (Q4_1 GGUF) on the CPU (or a CUDA GPU), offline, no server.

It is there so that every LLM feature runs end to end on any machine (tests, CI, a laptop without a GPU). A 135M
model cannot really predict BLEU or rank architectures; use it for plumbing and validity, and an endpoint for quality.

Two backends read the same GGUF file: llama-cpp-python when it is installed (fast; optional, needs a compiler), else
transformers (+ gguf + accelerate, from the ``[llm]`` extra). The model loads on the first request, not before.
Only the transformers backend runs on CUDA (``device``, :mod:`hwnas.llm.devices`); llama.cpp runs on the CPU.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.llm.adapter import adapter_id, check_adapter
from hwnas.llm.base import Request
from hwnas.llm.devices import check_device, device_tag, resolve_device
from hwnas.llm.model_files import GGUF_NAME, require_gguf

DEFAULT_THREADS = 1  # on 2 shared vCPUs, 2 torch threads collapsed to 2-4 tok/s; 1 thread stayed at 12-17 tok/s
EMBEDDED_MODEL_ID = "SmolLM2-135M-Instruct-Q4_1"


class Backend(Protocol):
    name: str

    def generate(self, request: Request, *, timeout_s: float) -> str: ...


def _transformers_backend(
    gguf: Path, *, threads: int, converted_root: Path, adapter: Path | None = None, device: str = "cpu"
) -> Backend:
    from hwnas.llm.embedded_hf import TransformersBackend

    return TransformersBackend(gguf, threads=threads, converted_root=converted_root, adapter=adapter, device=device)


class LlamaCppBackend:
    """llama-cpp-python's chat completion (temperature 0 is greedy there too). It cannot be interrupted, so the
    time-out is not enforced during a call; keep max_tokens small."""

    name = "llama_cpp"

    def __init__(self, gguf: Path, *, threads: int, converted_root: Path) -> None:
        llama_cpp = importlib.import_module("llama_cpp")  # optional; pick_backend checked that it is there

        # Prompt processing ("batch") has its own thread count, which otherwise defaults to every core.
        self._llm = llama_cpp.Llama(
            model_path=str(gguf), n_ctx=8192, n_threads=threads, n_threads_batch=threads, verbose=False
        )

    def generate(self, request: Request, *, timeout_s: float) -> str:
        sampling = request.sampling
        constrained: dict[str, Any] = {}
        if request.answer_schema is not None:  # a grammar built from the schema: the answer is always well-formed
            constrained["response_format"] = {"type": "json_object", "schema": json.loads(request.answer_schema)}
        answer = self._llm.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in request.messages],
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            stop=list(sampling.stop) or None,
            seed=sampling.seed,
            **constrained,
        )
        return str(answer["choices"][0]["message"]["content"] or "")


BackendFactory = Callable[..., Backend]
BACKENDS: dict[str, BackendFactory] = {"transformers": _transformers_backend, "llama_cpp": LlamaCppBackend}
CONSTRAINING_BACKENDS = frozenset({"llama_cpp"})  # backends that honour a request's answer_schema
SCORING_BACKENDS = frozenset({"transformers"})  # backends with score_choices (log-likelihood of given answers)
StructuredOutput = Literal["auto", "on", "off"]


def resolve_structured(wish: StructuredOutput, backend: str) -> bool:
    """``auto``: constrain answers where the backend can; ``on`` where it cannot is an error, not a silent no."""
    if wish == "on" and backend not in CONSTRAINING_BACKENDS:
        raise ConfigError(
            f"llm.structured_output is 'on' but the embedded backend {backend!r} cannot constrain its answers; "
            f"allowed with it: auto, off (or use --llm-backend {' / '.join(sorted(CONSTRAINING_BACKENDS))})"
        )
    return wish != "off" and backend in CONSTRAINING_BACKENDS


ADAPTER_BACKENDS = frozenset({"transformers"})  # backends that apply a LoRA adapter (peft)
DEVICE_BACKENDS = frozenset({"transformers"})  # backends that run on a CUDA device (llm.device)


def pick_backend(name: str, *, adapter: bool = False, device: str = "auto") -> str:
    """``auto`` -> llama_cpp when importable (transformers when an adapter or a CUDA device is asked for), else
    transformers; an explicit name must be registered and able to apply the adapter and use the device asked for."""
    gpu = check_device(device, name="llm.device").startswith("cuda")
    if name == "auto":
        if adapter or gpu:
            return "transformers"
        return "llama_cpp" if importlib.util.find_spec("llama_cpp") is not None else "transformers"
    if name not in BACKENDS:
        raise UnknownNameError("embedded LLM backend", name, ["auto", *BACKENDS])
    if adapter and name not in ADAPTER_BACKENDS:
        raise ConfigError(
            f"llm.adapter is set but the embedded backend {name!r} cannot apply a LoRA adapter; "
            f"allowed with an adapter: auto, {', '.join(sorted(ADAPTER_BACKENDS))}"
        )
    if gpu and name not in DEVICE_BACKENDS:
        raise ConfigError(
            f"llm.device is {device!r} but the embedded backend {name!r} runs on the CPU only; allowed with it: "
            f"auto, cpu (or --llm-backend {' / '.join(sorted(DEVICE_BACKENDS))} for CUDA)"
        )
    return name


def place(device: str, backend: str) -> str:
    """The device the backend will run on: ``cpu``, ``cuda`` or ``cuda:N`` (``auto`` resolved; CUDA checked)."""
    return resolve_device(device, name="llm.device") if backend in DEVICE_BACKENDS else "cpu"


def embedded_model_id(gguf: Path, backend: str, adapter: str | None = None, device: str = "cpu") -> str:
    """The cache identity: the model (file), when not transformers the backend (numerics differ), on CUDA the
    device's numerics (``+cuda-bf16``, see :data:`hwnas.llm.devices.CUDA_TAG`; nothing on the CPU, so earlier caches
    stay valid), and the adapter's digest when one is applied."""
    stem = EMBEDDED_MODEL_ID if gguf.name == GGUF_NAME else gguf.stem
    model = f"embedded:{stem}" + ("" if backend == "transformers" else f"+{backend}") + device_tag(device)
    return model + (f"+lora-{adapter}" if adapter else "")


class EmbeddedClient:
    """One model in this process, answering one request at a time (``max_concurrency = 1``)."""

    max_concurrency = 1

    def __init__(
        self,
        *,
        gguf: str | Path | None = None,
        threads: int = DEFAULT_THREADS,
        backend: str = "auto",
        converted_root: str | Path | None = None,
        structured_output: StructuredOutput = "auto",
        adapter: str | Path | None = None,
        device: str = "auto",
    ) -> None:
        if threads < 1:
            raise ConfigError(f"llm.threads is {threads!r}; allowed: an integer >= 1")
        self.adapter = check_adapter(adapter) if adapter is not None else None
        self.backend_name = pick_backend(backend, adapter=self.adapter is not None, device=device)
        self.device = place(device, self.backend_name)
        self.location = require_gguf(gguf)
        self.structured_output = resolve_structured(structured_output, self.backend_name)
        self.choice_scoring = self.backend_name in SCORING_BACKENDS
        self.threads = threads
        self.converted_root = Path(converted_root) if converted_root is not None else default_converted_root()
        digest = adapter_id(self.adapter) if self.adapter is not None else None
        self.model = embedded_model_id(self.location.path, self.backend_name, digest, self.device)
        self._backend: Backend | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"EmbeddedClient({str(self.location.path)!r}, backend={self.backend_name!r}, device={self.device!r}, "
            f"threads={self.threads})"
        )

    def describe(self) -> dict[str, object]:
        from hwnas.llm.embedded_hf import MARKER, converted_dir

        converted = converted_dir(self.location.path, self.converted_root)
        return {
            "gguf": str(self.location.path),
            "found_via": self.location.source,
            "backend": self.backend_name,
            "device": self.device,
            "threads": self.threads,
            "structured_output": self.structured_output,
            "choice_scoring": self.choice_scoring,
            "converted_copy": str(converted) if (converted / MARKER).is_file() else None,
            "adapter": str(self.adapter) if self.adapter is not None else None,
        }

    def load(self) -> Backend:
        """Load the model now (otherwise the first request does it)."""
        with self._lock:
            return self._loaded()

    def _loaded(self) -> Backend:
        if self._backend is None:
            factory = BACKENDS[self.backend_name]
            extra: dict[str, Any] = {"adapter": self.adapter} if self.adapter is not None else {}
            if self.backend_name in DEVICE_BACKENDS:
                extra["device"] = self.device
            self._backend = factory(
                self.location.path, threads=self.threads, converted_root=self.converted_root, **extra
            )
        return self._backend

    def complete(self, request: Request, *, timeout_s: float) -> str:
        with self._lock:
            return self._loaded().generate(request, timeout_s=timeout_s)

    def score_choices(self, request: Request, choices: list[str], *, timeout_s: float) -> list[float]:
        """Each choice's log-likelihood as the answer (backends of ``SCORING_BACKENDS`` only)."""
        if not self.choice_scoring:
            raise ConfigError(f"the embedded backend {self.backend_name!r} cannot score choices")
        with self._lock:
            backend = self._loaded()
            return list(backend.score_choices(request, choices, timeout_s=timeout_s))  # type: ignore[attr-defined]


def default_converted_root() -> Path:
    from hwnas.data.registry import cache_dir

    return cache_dir() / "llm" / "embedded"
