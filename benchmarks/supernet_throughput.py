"""Training throughput of SuperTransformer subnets vs a plain torch.nn.Transformer of the same size.

For the largest, a middle and the smallest subnet of ``hat-wmt14ende`` and each batch size (tokens per side), it
times full training steps (forward, label-smoothed loss, backward, AdamW) of three models side by side:

* ``supernet``  the SuperTransformer with the subnet active (what supernet training runs; AdamW updates all weights)
* ``extracted`` the standalone model of that subnet (what from-scratch training runs)
* ``plain``     ``hwnas.models.plain.PlainTransformer`` (stock ``nn.Transformer`` layers) of the subnet's width,
                FFN size, heads and depths (its attention projects to d_model and attends to the last encoder layer)

on CPU (fp32) and on CUDA (bf16 autocast) when available. Batches are synthetic: ``tokens // 30`` sentences of 30
source and 30 target tokens (the space's src_len / tgt_len), no padding. tokens/s counts source + target tokens.

FLOPs convention (model FLOPs, for MFU): a training step costs 3x the forward pass (backward = 2x forward). The
forward counts 2 FLOPs per multiply-add of every matrix product, with each weight matrix applied to the rows it
actually sees: per source token the encoder's projections and FFNs, per target token the decoder's projections,
FFNs and the tied output projection (d x V), and for HAT's arbitrary encoder-decoder attention the key/value
projections over k*S encoder rows. This equals the usual 6 * params * tokens for the dense weights (embedding
lookups excluded, the tied output projection included). Attention adds 2*2*Sq*Sk*qkv_dim per layer (QK^T and AV),
counted over the full square even for causal self-attention. MFU = model FLOPs per second / the GPU's dense bf16
peak (H100 SXM: 989 TFLOP/s; see common.PEAK_BF16_FLOPS). No MFU is reported on CPU.

    python benchmarks/supernet_throughput.py --quick          # CPU, 4-sentence batches, a minute or two
    python benchmarks/supernet_throughput.py --devices cuda   # the H100 run: 4,096 and 16,384 tokens
"""

from __future__ import annotations

import argparse
import gc
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, peak_bf16_flops, summarize, time_calls, write_result

from hwnas.core.arch import Arch
from hwnas.models import SubnetDims, SuperTransformer, extract
from hwnas.models.plain import PlainTransformer
from hwnas.models.vocab import PAD_ID
from hwnas.spaces import get_space
from hwnas.train.loss import token_loss_sums

SPACE = "hat-wmt14ende"
FLOPS_CONVENTION = "3 x forward; 2 FLOPs per MAC of each matmul on the rows it sees; attention 4*Sq*Sk*qkv per layer"


def subnets() -> dict[str, Arch]:
    """Largest and smallest of the space, and a middle one (d=512, FFN 2048, 8 heads, 6+3 layers, last layer)."""
    space = get_space(SPACE)
    middle = space.make(
        {
            "encoder_embed_dim": 512,
            "encoder_layer_num": 6,
            "encoder_ffn_embed_dim": [2048] * 6,
            "encoder_self_attention_heads": [8] * 6,
            "decoder_embed_dim": 512,
            "decoder_layer_num": 3,
            "decoder_ffn_embed_dim": [2048] * 3,
            "decoder_self_attention_heads": [8] * 3,
            "decoder_ende_attention_heads": [8] * 3,
            "decoder_arbitrary_ende_attn": [-1] * 3,
        }
    )
    return {"largest": space.largest(), "middle": middle, "smallest": space.smallest()}


def forward_flops(dims: SubnetDims, *, qkv: int, vocab: int, batch: int, src: int, tgt: int) -> float:
    """Model FLOPs of one forward pass (see the module docstring for the convention)."""
    enc, dec = dims.encoder_embed_dim, dims.decoder_embed_dim
    total = 0.0
    for layer in dims.encoder_layers:
        total += 2 * src * (4 * enc * qkv + 2 * enc * layer.ffn_dim) + 4 * src * src * qkv
    for layer in dims.decoder_layers:
        memory = layer.ende_layers * src  # HAT concatenates the last k encoder outputs along the sequence
        total += 2 * tgt * (4 * dec * qkv) + 4 * tgt * tgt * qkv  # self-attention
        total += 2 * tgt * (2 * dec * qkv) + 2 * memory * (2 * enc * qkv) + 4 * tgt * memory * qkv  # cross
        total += 2 * tgt * (2 * dec * layer.ffn_dim)  # FFN
    total += 2 * tgt * dec * vocab  # tied output projection
    return total * batch


def _plain_dims(dims: SubnetDims) -> SubnetDims:
    """The plain model's shape in SubnetDims terms (it attends to the last encoder layer only)."""
    from dataclasses import replace

    layers = tuple(replace(layer, ende_layers=1) for layer in dims.decoder_layers)
    return replace(dims, decoder_layers=layers)


@dataclass
class Case:
    """One model to time: which subnet, which implementation, and the shape its FLOPs are counted from."""

    subnet: str
    variant: str
    model: torch.nn.Module
    dims: SubnetDims
    qkv: int  # attention width: HAT's fixed qkv dim, or d_model for nn.Transformer


def cases(name: str, arch: Arch, supernet: SuperTransformer, *, norm_first: bool) -> list[Case]:
    """The supernet with ``arch`` active, its extracted model and the matching plain nn.Transformer."""
    dims, qkv = supernet.set_active_arch(arch), supernet.config.qkv_dim
    plain = PlainTransformer.matching(dims, vocab_size=supernet.config.vocab_size, norm_first=norm_first)
    plain.to(next(supernet.parameters()).device)
    return [
        Case(name, "supernet", supernet, dims, qkv),
        Case(name, "extracted", extract(supernet, arch), dims, qkv),
        Case(name, "plain", plain, _plain_dims(dims), dims.encoder_embed_dim),
    ]


def train_step_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor], *, bf16: bool) -> Any:
    device = batch["src"].device
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), fused=device.type == "cuda" or None)
    model.train()

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(batch["src"], None, batch["prev"])  # [B,T,V]
        loss, _, tokens = token_loss_sums(logits, batch["target"], pad_id=PAD_ID, label_smoothing=0.1)
        (loss / tokens).backward()
        optimizer.step()

    return step


def synthetic_batch(
    tokens: int, *, vocab: int, length: int, device: torch.device, seed: int
) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    rows = max(1, tokens // length)
    src = torch.randint(4, vocab, (rows, length), generator=generator)
    target = torch.randint(4, vocab, (rows, length), generator=generator)
    prev = torch.cat([torch.full((rows, 1), 3), target[:, :-1]], dim=1)  # decoder start, then shifted target
    return {"src": src.to(device), "prev": prev.to(device), "target": target.to(device)}


def measure(args: argparse.Namespace, device: torch.device, tokens: int) -> list[dict[str, Any]]:
    torch.manual_seed(0)
    supernet = SuperTransformer.from_space(SPACE, normalize_before=args.norm == "pre", dropout=0.1).to(device)
    length = int(get_space(SPACE).constants["src_len"])
    batch = synthetic_batch(tokens, vocab=supernet.config.vocab_size, length=length, device=device, seed=1)
    rows: list[dict[str, Any]] = []
    for name, arch in subnets().items():
        for case in cases(name, arch, supernet, norm_first=args.norm == "pre"):
            supernet.set_active_arch(arch)
            rows.append(time_case(args, case, batch, device))
            del case
            gc.collect()
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return rows


def time_case(
    args: argparse.Namespace, case: Case, batch: dict[str, torch.Tensor], device: torch.device
) -> dict[str, Any]:
    bf16 = device.type == "cuda"
    if bf16:
        torch.cuda.reset_peak_memory_stats(device)
    warmup, repeats = (args.cpu_warmup, args.cpu_repeats) if device.type == "cpu" else (args.warmup, args.repeats)
    times = time_calls(train_step_fn(case.model, batch, bf16=bf16), device=device, warmup=warmup, repeats=repeats)
    stats = summarize(times)
    rows, length = batch["src"].shape
    vocab = batch_vocab(case.model)
    flops = 3 * forward_flops(case.dims, qkv=case.qkv, vocab=vocab, batch=rows, src=length, tgt=length)
    model = case.model
    row: dict[str, Any] = {
        "device": device.type,
        "dtype": "bf16-autocast" if bf16 else "fp32",
        "tokens_per_batch_per_side": rows * length,
        "subnet": case.subnet,
        "variant": case.variant,
        "params": sum(p.numel() for p in model.parameters()),
        "active_params": int(model.num_params()) if hasattr(model, "num_params") else None,
        "sentences": rows,
        **stats,
        "tokens_per_s": 2 * rows * length / stats["median_s"],
        "train_flops_per_step": flops,
        "achieved_tflops": flops / stats["median_s"] / 1e12,
    }
    peak = peak_bf16_flops(torch.cuda.get_device_name(device)) if bf16 else None
    row["mfu"] = None if peak is None else flops / stats["median_s"] / peak
    if bf16:
        row["peak_memory_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
    print(_format(row), flush=True)
    return row


def batch_vocab(model: torch.nn.Module) -> int:
    return int(model.embed_tokens.weight.shape[0])  # type: ignore[union-attr,index]


def _format(row: dict[str, Any]) -> str:
    mfu = "" if row["mfu"] is None else f"  MFU {100 * row['mfu']:5.1f}%"
    return (
        f"{row['device']:>4} {row['tokens_per_batch_per_side']:>6} tok  {row['subnet']:<8} {row['variant']:<9} "
        f"{row['median_s'] * 1e3:9.1f} ms  {row['tokens_per_s']:>10,.0f} tok/s  "
        f"{row['achieved_tflops']:7.2f} TFLOP/s{mfu}"
    )


def _key(row: dict[str, Any]) -> tuple[str, int, str]:
    return row["device"], row["tokens_per_batch_per_side"], row["subnet"]


def speedups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """tokens/s of supernet and extracted relative to plain, per device, batch and subnet."""
    out = []
    for row in rows:
        if row["variant"] == "plain":
            continue
        key = _key(row)
        plain = next(r for r in rows if _key(r) == key and r["variant"] == "plain")
        ratio = row["tokens_per_s"] / plain["tokens_per_s"]
        out.append({"device": key[0], "tokens": key[1], "subnet": key[2], "variant": row["variant"], "vs_plain": ratio})
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CPU only, 120 tokens, 1 warm-up + 2 timed steps")
    parser.add_argument("--devices", default=None, help="comma list of cpu,cuda (default: cpu, plus cuda if present)")
    parser.add_argument("--tokens", default="4096,16384", help="tokens per batch per side, comma list")
    parser.add_argument("--cpu-tokens", default=None, help="tokens for CPU runs (default: --tokens)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cpu-warmup", type=int, default=1)
    parser.add_argument("--cpu-repeats", type=int, default=3)
    parser.add_argument("--norm", choices=("pre", "post"), default="pre")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    if args.quick:  # one thread unless told: steady on a shared machine (see FACTS.md)
        args.devices, args.cpu_tokens, args.cpu_warmup, args.cpu_repeats = "cpu", "120", 1, 2
        args.threads = args.threads or 1
    if args.devices is None:
        args.devices = "cpu,cuda" if torch.cuda.is_available() else "cpu"
    return args


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", message="enable_nested_tensor is True")  # nn.Transformer with norm_first
    if args.threads:
        torch.set_num_threads(args.threads)
    rows: list[dict[str, Any]] = []
    for name in args.devices.split(","):
        device = torch.device(name)
        token_list = args.cpu_tokens if (name == "cpu" and args.cpu_tokens) else args.tokens
        for tokens in (int(t) for t in token_list.split(",")):
            rows += measure(args, device, tokens)
    result = {
        "benchmark": "supernet_throughput",
        "space": SPACE,
        "machine": machine_info(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "subnets": {name: arch.to_dict() for name, arch in subnets().items()},
        "flops_convention": FLOPS_CONVENTION,
        "results": rows,
        "speedup_vs_plain": speedups(rows),
    }
    path = write_result("supernet_throughput", result, args.out)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
