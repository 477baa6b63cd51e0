"""HAT analytic metrics against the 30 LLM-PP seed SubTransformers (params exact, FLOPs in HAT's convention)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from hwnas.core import HwnasError, InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.families.hat.counts import encoder_layers_attended
from hwnas.families.hat.decode import decode
from hwnas.metrics import ANALYTIC_METRICS, UnsupportedFamilyError, analytic_metrics
from hwnas.spaces import get_space

# Joint vocabularies of HAT's preprocessed data: embedding params / decoder width in the seed-arch files.
TASK_VOCAB = {"wmt14ende": 32768, "wmt14enfr": 44512, "wmt19ende": 49600}


def _genes_from_arch_info(lines: list[str]) -> dict[str, Any]:
    """HAT subtransformer YAML keys ('encoder-ffn-embed-dim-all-subtransformer') -> hwnas gene names."""
    genes: dict[str, Any] = {}
    for line in lines:
        ((key, value),) = yaml.safe_load(line).items()
        name = key.removesuffix("-subtransformer").removesuffix("-all").replace("-", "_")
        genes[name] = value
    return genes


def _seed_archs(data_dir: Path, task: str) -> list[dict[str, Any]]:
    folder = data_dir / "llmpp_seedarchs" / "123" / task
    lines = [*(folder / "train.jsonl").read_text().splitlines(), *(folder / "test.jsonl").read_text().splitlines()]
    return [json.loads(line)["scratch"] for line in lines if line.strip()]


def _space_for(task: str) -> SearchSpace:
    space = get_space(f"hat-{task}")
    return dataclasses.replace(space, constants={**space.constants, "vocab_size": TASK_VOCAB[task]})


@pytest.mark.parametrize("task", sorted(TASK_VOCAB))
def test_seed_archs_match_published_params_and_flops(data_dir: Path, task: str) -> None:
    space = _space_for(task)
    records = _seed_archs(data_dir, task)
    assert len(records) == 30
    worst = 0.0
    for record in records:
        metrics = analytic_metrics(space.make(_genes_from_arch_info(record["arch_info"])), space)
        assert metrics["params_no_embed"] == record["num_parameters_without_embedding_weights"]
        assert metrics["params_embed"] == record["num_embedding_parameters"]
        assert metrics["params"] == metrics["params_no_embed"] + metrics["params_embed"]
        assert metrics["flops_last_layer"] == record["last_layer_flops"]
        assert metrics["flops"] == 2 * metrics["macs"]
        worst = max(worst, abs(metrics["flops"] - record["total_flops"]) / record["total_flops"])
    assert worst < 1e-6  # measured 1.4e-7 (the issue asks for 2%)


def test_wmt14ende_space_constants_are_the_published_ones(data_dir: Path) -> None:
    space = get_space("hat-wmt14ende")
    record = _seed_archs(data_dir, "wmt14ende")[0]
    metrics = analytic_metrics(space.make(_genes_from_arch_info(record["arch_info"])), space)
    assert metrics["params_embed"] == record["num_embedding_parameters"]
    assert metrics["flops_last_layer"] == record["last_layer_flops"]


def test_tiny_arch_by_hand() -> None:
    """Smallest tiny arch: embed 32, 1+1 layers, FFN 64, qkv 32, vocab 1000, 12 tokens per side."""
    space = get_space("tiny")
    metrics = analytic_metrics(space.smallest(), space)
    d, f, q, v, t = 32, 64, 32, 1000, 12
    encoder = (4 * d * q + 3 * q + d) + (2 * d * f + f + d) + 4 * d
    decoder = 2 * (4 * d * q + 3 * q + d) + (2 * d * f + f + d) + 6 * d
    assert metrics["params_no_embed"] == encoder + decoder
    assert metrics["params_embed"] == v * d
    attention = t * 4 * d * q + 2 * t * t * q + t * q
    encoder_macs = t * d + attention + 2 * t * d * f + 2 * t * d
    decoder_macs = t * d + 2 * attention + 2 * t * d * f + 3 * t * d
    assert metrics["macs"] == encoder_macs + decoder_macs + t * d * v


def test_arbitrary_attention_widens_cross_attention_keys() -> None:
    space = get_space("hat-wmt14ende")
    base = space.smallest()
    wider = space.make({**base.genes, "decoder_arbitrary_ende_attn": (2,)})
    low, high = analytic_metrics(base, space), analytic_metrics(wider, space)
    assert high["params"] == low["params"]
    # two more encoder layers of 30 keys each: k/v projections (2 x 30 x 512 x 512) + scores and context
    assert high["macs"] - low["macs"] == 2 * (2 * 30 * 512 * 512) + 2 * 30 * (2 * 30) * 512


def test_attended_layers_are_capped_by_encoder_depth() -> None:
    space = get_space("hat-wmt14ende")
    genes = space.smallest().genes
    decoded = [decode(space.make({**genes, "decoder_arbitrary_ende_attn": (g,)}), space) for g in (-1, 1, 2)]
    assert [dims.decoder_layers[0].ende_layers for dims in decoded] == [1, 2, 3]
    assert [encoder_layers_attended(k, 6) for k in (1, 2, 3)] == [1, 2, 3]
    assert encoder_layers_attended(3, 1) == 1


def test_keys_and_invalid_input() -> None:
    space = get_space("hat-wmt14ende")
    assert set(ANALYTIC_METRICS) <= set(analytic_metrics(space.largest(), space))
    with pytest.raises(InvalidArchError, match="encoder_embed_dim"):
        analytic_metrics(space.largest().replace(encoder_embed_dim=100), space)


@pytest.mark.parametrize("name", ["nb201", "fbnet"])
def test_the_cnn_families_count_too(name: str) -> None:
    space = get_space(name)
    assert set(ANALYTIC_METRICS) <= set(analytic_metrics(space.smallest(), space))
    assert issubclass(UnsupportedFamilyError, HwnasError)
