"""The ``fbnet`` family: FBNet-style chains as used by HW-NAS-Bench and HELP, one block type per searchable layer.

Decoding gives the block type of each layer (the space's one per-layer gene, following its layer-count gene). The
graph is a chain: input, one node per layer, output (the node-as-op form of :mod:`hwnas.families._graph`). No
protocol or collected datasets: FBNet latencies come from HW-NAS-Bench / HELP tables.

Counts (:func:`counts`) reproduce, exactly, the ``params`` and ``flops`` NASFLAT lists for every one of HELP's 5,000
FBNet archs (``nasflat/zc_fbnet.json``, :func:`hwnas.data.tables.load_nasflat_zcp`); absolute numbers. The network
those numbers describe (found by fitting them; it is a CIFAR-100 one, 32x32 input, 100 classes):

- stem: conv3x3 3->16 stride 1 + BN + ReLU (32x32);
- 7 stages of searchable layers, (channels, layers, stride of the first layer): (16, 1, 1), (24, 4, 1), (32, 4, 2),
  (64, 4, 2), (112, 4, 1), (184, 4, 2), (352, 1, 1), so 32x32 down to 4x4;
- block ``k<K>_e<E>[_g<G>]`` from C_in to C_out, stride s, with M = E x C_in: 1x1 conv C_in->M (G groups) + BN,
  depthwise KxK conv stride s + BN + ReLU, 1x1 conv M->C_out (G groups) + BN; a residual add when C_in = C_out and
  s = 1; a channel shuffle between the group convs (no weights, counts nothing);
- ``skip``: the identity, or conv1x1 C_in->C_out stride s + BN + ReLU where the shape changes;
- head: conv1x1 352->1504 + BN + ReLU, global average pool, linear 1504->100.

Conventions (those of the file, which match ptflops'):
- ``params``: every trainable parameter, BN affine weight and bias included, convs without bias, the linear layer
  with bias (no embedding table, so ``params_no_embed`` is the same number);
- ``macs``: multiply-accumulates of the convolutions and the linear layer (its bias not counted);
- ``flops``: ``macs`` + 2 per BN output element + 1 per element of each counted ReLU (the stem's, the head's, a
  projecting ``skip``'s and the one after each block's depthwise conv; the file counts no activation after the
  expanding 1x1 conv) + 1 per input element of the global pool; residual adds and shuffles count nothing. So
  ``flops`` is about ``macs``, not 2 x ``macs`` as for ``gpt`` / ``hat``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from hwnas.contracts.family import Counter, DatasetLayout, Graph, MeasurementProtocol, SpaceFamily
from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import Gene, SearchSpace
from hwnas.families._genes import GeneReader
from hwnas.families._graph import inner_ops, one_hot_rows, op_names


def block_gene(space: SearchSpace) -> Gene:
    """The per-layer gene of block types (it names its layer-count gene in ``per_layer``)."""
    gene = next((g for g in space.genes if g.per_layer is not None), None)
    if gene is None:
        raise InvalidArchError(space.name, "(per-layer op gene)", "(missing)", "one per-layer gene of block types")
    return gene


def decode(arch: Arch, space: SearchSpace) -> tuple[str, ...]:
    """The block type of each active layer."""
    return GeneReader(arch).ops(block_gene(space).name)


# The CIFAR-100 network of NASFLAT's FBNet counts (see the module docstring).
RESOLUTION = 32
INPUT_CHANNELS = 3
STEM_CHANNELS = 16
STAGES: tuple[tuple[int, int, int], ...] = (
    (16, 1, 1),
    (24, 4, 1),
    (32, 4, 2),
    (64, 4, 2),
    (112, 4, 1),
    (184, 4, 2),
    (352, 1, 1),
)  # (output channels, layers, stride of the stage's first layer)
HEAD_CHANNELS = 1504
NUM_CLASSES = 100
BN_FLOPS_PER_ELEMENT = 2  # scale and shift
RELU_FLOPS_PER_ELEMENT = 1
SKIP = "skip"
_BLOCK_NAME = re.compile(r"k(\d+)_e(\d+)(?:_g(\d+))?")


def layer_shapes() -> tuple[tuple[int, int], ...]:
    """(output channels, stride) of each of the 22 searchable layers."""
    return tuple((channels, stride if i == 0 else 1) for channels, layers, stride in STAGES for i in range(layers))


def block_shape(op: str, space: str = "fbnet") -> tuple[int, int, int] | None:
    """(kernel, expansion, groups) of a block name such as ``k5_e1_g2``; None for ``skip``."""
    if op == SKIP:
        return None
    match = _BLOCK_NAME.fullmatch(op)
    if match is None:
        raise InvalidArchError(space, "block", op, f"'{SKIP}' or k<kernel>_e<expansion>[_g<groups>]")
    kernel, expansion, groups = match.groups()
    return int(kernel), int(expansion), int(groups or 1)


@dataclass
class _Tally:
    """Running params / MACs / non-MAC FLOPs of a network counted layer by layer (conventions: module docstring)."""

    params: int = 0
    macs: int = 0
    other_flops: int = 0

    def conv(self, c_in: int, c_out: int, kernel: int, side: int, groups: int = 1) -> None:
        """A bias-free conv producing a ``side`` x ``side`` map (``groups = c_in`` for a depthwise one)."""
        weights = c_in * c_out * kernel * kernel // groups
        self.params += weights
        self.macs += weights * side * side

    def bn(self, channels: int, side: int, *, relu: bool = False) -> None:
        """A BN with affine weight and bias, optionally followed by a counted ReLU."""
        per_element = BN_FLOPS_PER_ELEMENT + (RELU_FLOPS_PER_ELEMENT if relu else 0)
        self.params += 2 * channels
        self.other_flops += per_element * channels * side * side


def _layer(tally: _Tally, block: tuple[int, int, int] | None, c_in: int, c_out: int, side_in: int, stride: int) -> None:
    """Count one searchable layer reading a ``side_in`` map: a block of :func:`block_shape`, or skip (None)."""
    side = side_in // stride
    if block is None:
        if c_in != c_out or stride != 1:
            tally.conv(c_in, c_out, 1, side)
            tally.bn(c_out, side, relu=True)
        return
    kernel, expansion, groups = block
    mid = c_in * expansion
    tally.conv(c_in, mid, 1, side_in, groups)
    tally.bn(mid, side_in)
    tally.conv(mid, mid, kernel, side, groups=mid)
    tally.bn(mid, side, relu=True)
    tally.conv(mid, c_out, 1, side, groups)
    tally.bn(c_out, side)


def _head(tally: _Tally, c_in: int, side: int) -> None:
    """conv1x1 + BN + ReLU, global average pool (one FLOP per input element), linear layer with bias."""
    tally.conv(c_in, HEAD_CHANNELS, 1, side)
    tally.bn(HEAD_CHANNELS, side, relu=True)
    tally.other_flops += HEAD_CHANNELS * side * side
    tally.params += HEAD_CHANNELS * NUM_CLASSES + NUM_CLASSES
    tally.macs += HEAD_CHANNELS * NUM_CLASSES


def counts(arch: Arch, space: SearchSpace) -> dict[str, float]:
    """Params, MACs and FLOPs of ``arch``'s CIFAR-100 network, as NASFLAT's FBNet file counts them (module
    docstring); the arch must have one op per layer of :func:`layer_shapes`."""
    ops, shapes = decode(arch, space), layer_shapes()
    if len(ops) != len(shapes):
        raise InvalidArchError(space.name, block_gene(space).name, ops, f"{len(shapes)} block types, one per layer")
    blocks = [block_shape(op, space.name) for op in ops]
    tally, side, c_in = _Tally(), RESOLUTION, STEM_CHANNELS
    tally.conv(INPUT_CHANNELS, STEM_CHANNELS, 3, side)
    tally.bn(STEM_CHANNELS, side, relu=True)
    for block, (c_out, stride) in zip(blocks, shapes, strict=True):
        _layer(tally, block, c_in, c_out, side, stride)
        side, c_in = side // stride, c_out
    _head(tally, c_in, side)
    return {
        "params": float(tally.params),
        "params_no_embed": float(tally.params),
        "flops": float(tally.macs + tally.other_flops),
        "macs": float(tally.macs),
    }


class ChainGraph:
    """A chain: ``adjacency[i, i + 1] = 1``."""

    def to_graph(self, arch: Arch, space: SearchSpace) -> Graph:
        names = op_names(block_gene(space).choices)
        ops = ["input", *decode(arch, space), "output"]
        return np.eye(len(ops), k=1, dtype=np.int64), one_hot_rows(ops, names), names

    def from_graph(self, ops_onehot: np.ndarray, space: SearchSpace) -> Arch:
        gene = block_gene(space)
        ops = inner_ops(ops_onehot, gene.choices, space)
        return space.make({str(gene.per_layer): len(ops), gene.name: ops})


class FBNetFamily:
    name = "fbnet"
    protocol: MeasurementProtocol | None = None
    dataset: DatasetLayout | None = None
    graph = ChainGraph()

    def decode(self, arch: Arch, space: SearchSpace) -> tuple[str, ...]:
        return decode(arch, space)

    @property
    def counts(self) -> Counter:
        return counts


FAMILY: SpaceFamily = FBNetFamily()
