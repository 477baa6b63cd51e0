"""The ``hat`` family: HAT's encoder-decoder SubTransformers for machine translation (Wang et al., ACL 2020).

- decoding (:mod:`.decode`): the one reader of HAT's genes, an arch -> :class:`~hwnas.models.subnet.SubnetDims`;
- analytic counts (:mod:`.counts`): params and FLOPs in HAT's conventions.
"""

from __future__ import annotations

from hwnas.contracts.family import Counter, DatasetLayout, GraphEncoding, MeasurementProtocol, SpaceFamily
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.families.hat import counts as _counts
from hwnas.families.hat.decode import decode
from hwnas.models.subnet import SubnetDims


class HatFamily:
    name = "hat"
    protocol: MeasurementProtocol | None = None
    dataset: DatasetLayout | None = None
    graph: GraphEncoding | None = None

    def decode(self, arch: Arch, space: SearchSpace) -> SubnetDims:
        return decode(arch, space)

    @property
    def counts(self) -> Counter:
        return _counts.counts


FAMILY: SpaceFamily = HatFamily()
