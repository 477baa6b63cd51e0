"""The plain GPT of a gpt-* arch: parameter count equal to the analytic one, causal, right shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hwnas.core.space import SearchSpace
from hwnas.families.gpt import decode
from hwnas.metrics import analytic_metrics
from hwnas.models.gpt import GPTModel
from hwnas.spaces import get_space


@pytest.mark.parametrize("name", ["gpt-s", "gpt-m", "gpt-l"])
def test_parameter_count_equals_the_analytic_count(name: str) -> None:
    space = get_space(name)
    rng = np.random.default_rng(7)
    archs = [space.smallest(), space.largest(), *(space.sample(rng) for _ in range(4))]
    archs.append(space.make({**archs[2].genes, "bias": not archs[2]["bias"]}))
    for arch in archs:
        with torch.device("meta"):  # shapes only: no memory for a billion parameters
            model = GPTModel(decode(arch, space))
        assert sum(p.numel() for p in model.parameters()) == analytic_metrics(arch, space)["params"], arch.genes


def test_forward_shapes_and_causality(tiny_gpt: SearchSpace) -> None:
    torch.manual_seed(0)
    model = GPTModel(decode(tiny_gpt.largest(), tiny_gpt)).eval()
    tokens = torch.randint(0, 100, (2, 10))
    changed = tokens.clone()
    changed[:, 6:] = (changed[:, 6:] + 1) % 100
    with torch.no_grad():
        logits, logits_changed = model(tokens), model(changed)
    assert logits.shape == (2, 10, 100)
    assert torch.allclose(logits[:, :6], logits_changed[:, :6], atol=1e-5)  # the future does not leak back
    assert not torch.allclose(logits[:, 6:], logits_changed[:, 6:])


def test_bias_gene_switches_linear_biases_only(tiny_gpt: SearchSpace) -> None:
    arch = tiny_gpt.smallest()
    with_bias = GPTModel(decode(tiny_gpt.make({**arch.genes, "bias": True}), tiny_gpt))
    without = GPTModel(decode(tiny_gpt.make({**arch.genes, "bias": False}), tiny_gpt))
    assert with_bias.lm_head.bias is None and without.blocks[0].norm_1.bias is not None
    assert with_bias.blocks[0].attn.qkv.bias is not None and without.blocks[0].attn.qkv.bias is None
