"""A tiny random Llama with a byte-level tokenizer and a chat template, saved where the embedded client looks for
its converted copy: the transformers backend's whole path (loading, an adapter, scoring, generation, devices) in a
second, with nothing downloaded. Its answers are noise; tests check plumbing, never text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIALS + sorted(pre_tokenizers.ByteLevel.alphabet()))}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))  # one token per byte: any text round-trips
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token=SPECIALS[1], eos_token=SPECIALS[2], pad_token=SPECIALS[0],
        additional_special_tokens=SPECIALS,
    )  # fmt: skip
    tokenizer.chat_template = TEMPLATE
    return tokenizer


def make_tiny_model(root: Path) -> tuple[Path, Path]:
    """(a stand-in GGUF file, the converted-copy root to give the client): the model is read from the copy only."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from hwnas.llm.embedded_hf import MARKER, converted_dir

    gguf, converted = root / "tiny-llama.gguf", root / "converted"
    gguf.parent.mkdir(parents=True, exist_ok=True)
    gguf.write_bytes(b"GGUF stand-in: the converted copy beside it is what loads")
    tokenizer = _tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=1024, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    folder = converted_dir(gguf, converted)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / MARKER).write_text(json.dumps({"gguf": str(gguf)}))
    return gguf, converted


def make_tiny_adapter(gguf: Path, converted: Path, out: Path) -> Path:
    """A LoRA adapter of the tiny model with random (non-zero) weights, so it changes every score."""
    import torch
    from peft import LoraConfig, get_peft_model

    from hwnas.llm.embedded_hf import load_model

    model, _ = load_model(gguf, converted)
    torch.manual_seed(1)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(str(out))
    return out
