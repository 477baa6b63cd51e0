"""The embedded model through transformers (no compiler needed): GGUF -> dequantised fp32 model on the CPU or a
CUDA device.

Loading from GGUF dequantises every tensor (15-25 s); the first load therefore saves a safetensors copy in the cache
(same fp32 weights, so answers do not change) and later loads take well under a second. Only this module imports
torch / transformers, and only when the embedded model is first used.

On CUDA the fp32 weights move to the device (after a LoRA adapter is merged into them on the CPU, so the adapter is
where the model is) and every forward runs under bf16 autocast: the matmuls run in bf16 while the residual stream
and the log-softmax stay fp32, which keeps near-tied candidates closer to the CPU's order than bf16 weights would.
``threads`` is the CPU's knob only.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hwnas.core.errors import ConfigError
from hwnas.core.files import atomic_folder
from hwnas.llm.base import Request

MARKER = "hwnas-converted.json"  # written last: a folder without it is an interrupted conversion


def _import_hf() -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local file never needs the Hub; never wait on the network
    try:
        import torch
        import transformers
    except ImportError:
        raise ConfigError(
            'the embedded LLM needs transformers, gguf and accelerate: pip install "hwnas[llm]"'
        ) from None
    return torch, transformers


def converted_dir(gguf: Path, root: Path) -> Path:
    """Where the safetensors copy of one GGUF file lives (by file name and size)."""
    return root / f"{gguf.stem}-{gguf.stat().st_size}"


def _load_converted(folder: Path) -> tuple[Any, Any] | None:
    if not (folder / MARKER).is_file():
        return None
    _, transformers = _import_hf()
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return model, tokenizer


def _save_converted(model: Any, tokenizer: Any, gguf: Path, folder: Path) -> None:
    """Save atomically (temp folder, then rename); the quantizer must go first or save_pretrained refuses."""
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    try:
        with atomic_folder(folder) as staging:
            staging.chmod(0o755)  # a temporary folder is private; the copy is as shareable as the GGUF it came from
            model.save_pretrained(staging)
            tokenizer.save_pretrained(staging)
            (staging / MARKER).write_text(json.dumps({"gguf": str(gguf), "size": gguf.stat().st_size}))
    except OSError:
        pass  # another process won the race, or the cache is read-only: the model in memory still works


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No per-tensor progress bars while loading (they would interleave with the caller's output)."""
    _, transformers = _import_hf()
    hf_logging = transformers.utils.logging
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def load_model(gguf: Path, converted_root: Path) -> tuple[Any, Any]:
    """(model, tokenizer): from the safetensors copy when there is one, else from the GGUF (then saved)."""
    folder = converted_dir(gguf, converted_root)
    with _quiet_transformers():
        loaded = _load_converted(folder)
        if loaded is not None:
            return loaded
        _, transformers = _import_hf()
        kwargs = {"gguf_file": gguf.name, "local_files_only": True}
        tokenizer = transformers.AutoTokenizer.from_pretrained(gguf.parent, **kwargs)
        model = transformers.AutoModelForCausalLM.from_pretrained(gguf.parent, **kwargs)
        _save_converted(model, tokenizer, gguf, folder)
    return model, tokenizer


@contextlib.contextmanager
def torch_threads(torch: Any, threads: int) -> Iterator[None]:
    """Run with ``threads`` intra-op threads and restore the caller's setting (1 is steadiest on small shared VMs)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """Text up to the first stop string (excluded, as OpenAI endpoints do) and whether one was found."""
    cuts = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


class TransformersBackend:
    """Greedy decoding at temperature 0; otherwise sampling seeded by ``Sampling.seed`` (RNG state restored after)."""

    name = "transformers"

    def __init__(
        self, gguf: Path, *, threads: int, converted_root: Path, adapter: Path | None = None, device: str = "cpu"
    ) -> None:
        self.torch, _ = _import_hf()
        self.device = self.torch.device(device)
        self.threads = threads
        with self._cpu_threads():
            self.model, self.tokenizer = load_model(gguf, converted_root)
            if adapter is not None:
                from hwnas.llm.adapter import apply_adapter

                self.model = apply_adapter(self.model, adapter)  # merged into the fp32 weights, moved with them
        self.model.to(self.device).eval()

    def _cpu_threads(self) -> contextlib.AbstractContextManager[None]:
        """``threads`` intra-op threads on the CPU; on CUDA the caller's setting stands (the GPU does the work)."""
        return torch_threads(self.torch, self.threads) if self.device.type == "cpu" else contextlib.nullcontext()

    @contextlib.contextmanager
    def _inference(self) -> Iterator[None]:
        """No gradients; on the CPU ``threads`` threads, on CUDA bf16 autocast (see the module doc)."""
        torch = self.torch
        autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda" else contextlib.nullcontext()
        )
        with self._cpu_threads(), autocast, torch.inference_mode():
            yield

    def _rng_devices(self) -> list[int]:
        """The CUDA devices whose RNG a seeded sample draws from (restored after, like the CPU's)."""
        if self.device.type != "cuda":
            return []
        index = self.device.index
        return [index if index is not None else self.torch.cuda.current_device()]

    def generate(self, request: Request, *, timeout_s: float) -> str:
        sampling = request.sampling
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        rendered = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        encoded = {key: value.to(self.device) for key, value in rendered.items()}
        eos = self.tokenizer.eos_token_id
        kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_tokens, "max_time": timeout_s, "pad_token_id": eos}
        if sampling.temperature > 0:
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            kwargs.update(do_sample=False)
        if sampling.stop:
            kwargs.update(stop_strings=list(sampling.stop), tokenizer=self.tokenizer)
        torch = self.torch
        start = time.perf_counter()
        with torch.random.fork_rng(devices=self._rng_devices()), self._inference():
            if sampling.seed is not None:
                torch.manual_seed(sampling.seed)
            output = self.model.generate(**encoded, **kwargs)
        new_tokens = output[0, encoded["input_ids"].shape[1] :].tolist()
        text, stopped = cut_at_stop(self.tokenizer.decode(new_tokens, skip_special_tokens=True), sampling.stop)
        finished = stopped or eos in new_tokens or len(new_tokens) >= sampling.max_tokens
        if not finished and time.perf_counter() - start >= timeout_s:
            raise TimeoutError(f"embedded model: no complete answer within {timeout_s:g} s ({len(new_tokens)} tokens)")
        return text

    def score_choices(self, request: Request, choices: list[str], *, timeout_s: float) -> list[float]:
        """Sum of the log-probabilities of each choice's tokens, then the end of the message, as the assistant's
        answer. The prompt runs once; each choice continues from its key/value cache, cut back after it."""
        torch = self.torch
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        prompt = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )["input_ids"].to(self.device)
        start, scores = time.perf_counter(), list[float]()
        with self._inference():
            out = self.model(input_ids=prompt, use_cache=True, logits_to_keep=1)  # only the next token's logits
            cache = getattr(out, "cache", None) or out.past_key_values
            first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            for choice in choices:
                if time.perf_counter() - start >= timeout_s:
                    raise TimeoutError(
                        f"embedded model: {len(scores)} of {len(choices)} choices scored in {timeout_s:g} s"
                    )
                scores.append(self._choice_logprob(choice, first, cache))
        return scores

    @property
    def _cache_arg(self) -> str:
        """The forward argument of the key/value cache: ``cache`` in newer transformers, ``past_key_values`` before."""
        import inspect

        return "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"

    def _choice_logprob(self, choice: str, first: Any, cache: Any) -> float:
        torch = self.torch
        ids = self.tokenizer(choice, add_special_tokens=False)["input_ids"] + [self.tokenizer.eos_token_id]
        tokens = torch.tensor([ids], device=self.device)  # (1, n)
        total = float(first[ids[0]])
        if len(ids) > 1:
            logits = self.model(input_ids=tokens[:, :-1], **{self._cache_arg: cache}, use_cache=True).logits[0]
            logprobs = torch.log_softmax(logits.float(), dim=-1)  # (n-1, vocab)
            total += float(logprobs.gather(1, tokens[0, 1:, None]).sum())
            cache.crop(-(len(ids) - 1))  # back to the prompt alone (a negative crop removes tokens in every version)
        return total
