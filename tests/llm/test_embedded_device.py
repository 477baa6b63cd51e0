"""Where the embedded model runs (``llm.device``, ``--llm-device``): the names allowed, ``auto`` resolved, CUDA asked
for without CUDA refused in one line, the model id unchanged on the CPU (earlier caches stay valid) and tagged
``+cuda-bf16`` on CUDA, and the transformers backend's scoring and generation on a tiny local model (on CUDA too,
where there is one). CUDA is simulated for everything that does not load a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.core.errors import ConfigError
from hwnas.llm.base import Request, Sampling, chat
from hwnas.llm.clients import load_settings, make_runner
from hwnas.llm.devices import CUDA_TAG, resolve_device
from hwnas.llm.embedded import EmbeddedClient, embedded_model_id, pick_backend
from hwnas.llm.lm_finetune import FinetuneSettings
from hwnas.llm.model_files import GGUF_NAME

from .tiny_hf import make_tiny_adapter, make_tiny_model

QUESTION = Request(chat(("user", "Pick one code: 0123, 4567 or 8901.")), Sampling(max_tokens=6))
CODES = ["0123", "4567", "8901"]


@pytest.fixture
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch says two CUDA devices are there (nothing is placed on them: no model is loaded)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    """A model file that is never read (clients load lazily)."""
    path = tmp_path / "tiny-model.gguf"
    path.write_bytes(b"GGUF not a real model")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(stand-in GGUF, converted-copy root, a LoRA adapter folder) of a tiny random Llama."""
    root = tmp_path_factory.mktemp("tiny")
    gguf, converted = make_tiny_model(root)
    return gguf, converted, make_tiny_adapter(gguf, converted, root / "adapter")


@pytest.mark.parametrize("value", ["auto", "cpu", "cuda", "cuda:0", "cuda:12"])
def test_device_names_are_accepted_without_torch_asking(value: str) -> None:
    assert load_settings({"device": value}, environ={}).device == value


@pytest.mark.parametrize("value", ["tpu", "gpu", "CUDA", "cuda:", "cuda:x", "cuda0", " cpu", ""])
def test_other_device_names_name_the_key_the_flag_the_value_and_the_choices(value: str) -> None:
    expected = f"config key 'device': allowed: auto, cpu, cuda, cuda:N (flag --llm-device) (got {value!r})"
    with pytest.raises(ConfigError) as info:
        load_settings({"device": value}, environ={})
    assert expected in str(info.value)


def test_device_defaults_to_auto_and_has_an_environment_default() -> None:
    assert load_settings(environ={}).device == "auto"
    assert load_settings(environ={"HWNAS_LLM_DEVICE": "cpu"}).device == "cpu"
    assert load_settings({"device": "cuda"}, environ={"HWNAS_LLM_DEVICE": "cpu"}).device == "cuda"


def test_auto_is_the_cpu_here_and_the_cpu_keeps_the_model_id(no_cuda: None, gguf: Path) -> None:
    for device in ("auto", "cpu"):
        client = EmbeddedClient(gguf=gguf, backend="transformers", device=device)
        assert (client.device, client.model) == ("cpu", "embedded:tiny-model")
        assert client.describe()["device"] == "cpu"
    runner = make_runner(load_settings({"gguf": gguf, "backend": "transformers"}, environ={}))
    assert runner.model == "embedded:tiny-model"  # the cache key of every answer made before devices existed
    real = Path(GGUF_NAME)
    assert embedded_model_id(real, "transformers") == "embedded:SmolLM2-135M-Instruct-Q4_1"
    assert embedded_model_id(real, "transformers", "abc", "cpu") == "embedded:SmolLM2-135M-Instruct-Q4_1+lora-abc"


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_cuda_is_one_clear_error_before_the_model_file(no_cuda: None, tmp_path: Path, device: str) -> None:
    with pytest.raises(ConfigError) as info:
        EmbeddedClient(gguf=tmp_path / "missing.gguf", backend="transformers", device=device)
    message = str(info.value)
    assert message.startswith(f"llm.device is {device!r} but torch ") and "sees no CUDA device" in message
    assert message.endswith("allowed here: auto, cpu")
    with pytest.raises(ConfigError, match="sees no CUDA device"):
        resolve_device(device, name="--device")  # hwnas lm-searcher finetune's check


def test_on_cuda_the_model_id_says_bf16(two_gpus: None, gguf: Path) -> None:
    for device in ("auto", "cuda", "cuda:1"):
        client = EmbeddedClient(gguf=gguf, backend="transformers", device=device)
        assert client.device == ("cuda" if device == "auto" else device)
        assert client.model == "embedded:tiny-model" + CUDA_TAG == "embedded:tiny-model+cuda-bf16"
    assert EmbeddedClient(gguf=gguf, backend="transformers", device="cpu").model == "embedded:tiny-model"
    assert embedded_model_id(gguf, "transformers", "abc", "cuda:1") == "embedded:tiny-model+cuda-bf16+lora-abc"
    with pytest.raises(ConfigError, match=r"'cuda:2' but torch sees 2 CUDA device\(s\): cuda:0 to cuda:1"):
        EmbeddedClient(gguf=gguf, backend="transformers", device="cuda:2")


def test_only_the_transformers_backend_runs_on_cuda(two_gpus: None, gguf: Path) -> None:
    assert pick_backend("auto", device="cuda") == pick_backend("auto", device="cuda:1") == "transformers"
    with pytest.raises(
        ConfigError, match=r"llm\.device is 'cuda' but the embedded backend 'llama_cpp' runs on the CPU"
    ):
        pick_backend("llama_cpp", device="cuda")
    client = EmbeddedClient(gguf=gguf, backend="llama_cpp")  # auto: llama.cpp stays on the CPU, its id unchanged
    assert (client.device, client.model) == ("cpu", "embedded:tiny-model+llama_cpp")


def test_finetune_device_spelling_is_checked_alike() -> None:
    for bad in ("cudax", "gpu"):
        with pytest.raises(ConfigError, match=rf"--device '{bad}': allowed: auto, cpu, cuda, cuda:N"):
            FinetuneSettings(device=bad)
    assert FinetuneSettings(device="cuda:1").device == "cuda:1"


def _hwnas(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_the_flag_reaches_the_settings_and_bad_values_are_one_line(no_cuda: None, gguf: Path) -> None:
    common = ["--llm-gguf", str(gguf), "--llm-backend", "transformers", "--no-llm-cache"]
    shown = _hwnas("llm", "info", "--json", *common, "--llm-device", "cpu")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert (report["settings"]["device"], report["device"], report["model"]) == ("cpu", "cpu", "embedded:tiny-model")
    for device, message in (("cuda", "llm.device is 'cuda' but torch"), ("tpu", "(flag --llm-device) (got 'tpu')")):
        asked = _hwnas("llm", "ask", "hi", *common, "--llm-device", device)
        lines = asked.output.strip().splitlines()
        assert asked.exit_code == 2 and len(lines) == 1 and message in lines[0], asked.output
    for command in (["lm-searcher", "eval-picks"], ["llm-pp", "evaluate"], ["llm-pp", "generate"], ["search"]):
        assert "--llm-device" in _hwnas(*command, "--help").output, command


def test_the_tiny_model_scores_and_generates_on_the_cpu(tiny: tuple[Path, Path, Path]) -> None:
    gguf, converted, adapter = tiny
    threads = torch.get_num_threads()
    plain = EmbeddedClient(gguf=gguf, converted_root=converted, backend="transformers", device="cpu")
    scores = plain.score_choices(QUESTION, CODES, timeout_s=60)
    assert len(scores) == 3 and all(s < 0 for s in scores)
    assert scores == plain.score_choices(QUESTION, CODES, timeout_s=60)  # the key/value cache was cut back
    assert isinstance(plain.complete(QUESTION, timeout_s=60), str)
    assert torch.get_num_threads() == threads  # llm.threads applied while it ran, then the caller's setting back
    tuned = EmbeddedClient(gguf=gguf, converted_root=converted, adapter=adapter, device="cpu")
    assert tuned.model.startswith("embedded:tiny-llama+lora-")
    assert tuned.score_choices(QUESTION, CODES, timeout_s=60) != pytest.approx(scores, abs=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_the_tiny_model_on_cuda_matches_the_cpu_within_bf16(tiny: tuple[Path, Path, Path]) -> None:
    gguf, converted, adapter = tiny
    for lora in (None, adapter):
        cpu, gpu = (
            EmbeddedClient(gguf=gguf, converted_root=converted, backend="transformers", adapter=lora, device=device)
            for device in ("cpu", "cuda")
        )
        assert gpu.model == cpu.model.replace("embedded:tiny-llama", "embedded:tiny-llama+cuda-bf16")
        backend = gpu.load()
        assert {p.device.type for p in backend.model.parameters()} == {"cuda"}  # type: ignore[attr-defined]
        on_gpu = gpu.score_choices(QUESTION, CODES, timeout_s=60)
        assert on_gpu == pytest.approx(cpu.score_choices(QUESTION, CODES, timeout_s=60), rel=0.02)
        assert on_gpu == gpu.score_choices(QUESTION, CODES, timeout_s=60)
        sampled = Request(QUESTION.messages, Sampling(max_tokens=6, temperature=0.8, seed=3))
        first = gpu.complete(sampled, timeout_s=60)
        assert isinstance(first, str) and first == gpu.complete(sampled, timeout_s=60)
