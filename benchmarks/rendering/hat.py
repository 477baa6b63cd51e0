"""HAT's headline settings measured on a GPU: the Multi30k run and supernet training throughput."""

from __future__ import annotations

from rendering.common import newest, relative


def multi30k() -> list[str]:
    found = newest("multi30k", device="cuda")
    if found is None:
        return []
    path, data = found
    s, t = data["settings"], data["training"]
    rows = [
        f"**Multi30k En->De, `{s['space']}` SuperTransformer** ({data['machine'].get('gpu_name')}, "
        f"sacreBLEU on {s['split']}, beam 4, length penalty 0.6; `{relative(path)}`):",
        "",
        "| model | BLEU | training |",
        "|---|---|---|",
    ]
    train_of = {"supernet": "supernet", "scratch": "scratch_largest"}
    for key, label in (
        ("supernet_largest", "largest subnet, inherited weights"),
        ("supernet_smallest", "smallest subnet, inherited weights"),
        ("scratch_largest", "largest, trained from scratch"),
    ):
        run = t[train_of[key.split("_")[0]]]
        epochs = s["supernet_epochs"] if key.startswith("supernet") else s["scratch_epochs"]
        rows.append(f"| {label} | {data['bleu'][key]['bleu']:.2f} | {epochs:g} epochs, {run['wall_s']:.0f} s |")
    return [*rows, "", *_older_defaults(s.get("train_config", {}).get("model", {}))]


# Model settings whose default changed to match HAT (docs/hat-fidelity.md), with what a config without them meant.
_FIDELITY_KEYS = {
    "encoder_final_norm": "all",
    "dropout_scaling": "all for the supernet, none from scratch",
}


def _older_defaults(model: dict[str, object]) -> list[str]:
    """A result trained before a HAT-fidelity switch existed says which behaviour it was trained with."""
    older = [f"`{key}: {meaning}`" for key, meaning in _FIDELITY_KEYS.items() if key not in model]
    if not older:
        return []
    return [
        f"Trained before these settings matched HAT (docs/hat-fidelity.md), so with {', '.join(older)}; today's "
        "defaults are unmeasured at this scale until the benchmark runs again on a GPU.",
        "",
    ]


def throughput() -> list[str]:
    found = newest("supernet_throughput", device="cuda")
    if found is None:
        return []
    path, data = found
    rows = [
        f"**Supernet training throughput** ({data['machine'].get('gpu_name')}, bf16 autocast, `{relative(path)}`):",
        "",
        "| subnet | tokens / batch / side | supernet tokens/s | MFU | vs plain nn.Transformer |",
        "|---|---|---|---|---|",
    ]
    speedups = {
        (r["tokens"], r["subnet"]): r["vs_plain"] for r in data["speedup_vs_plain"] if r["variant"] == "supernet"
    }
    for r in data["results"]:
        if r["variant"] != "supernet":
            continue
        key = (r["tokens_per_batch_per_side"], r["subnet"])
        rows.append(
            f"| {r['subnet']} | {key[0]:,} | {r['tokens_per_s']:,.0f} | {r['mfu']:.1%} | "
            f"{speedups.get(key, float('nan')):.2f}x |"
        )
    return [*rows, ""]
