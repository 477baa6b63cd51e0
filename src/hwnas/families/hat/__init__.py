"""The ``hat`` family: HAT's encoder-decoder SubTransformers for machine translation (Wang et al., ACL 2020).

- decoding (:mod:`.decode`): the one reader of HAT's genes, an arch -> :class:`~hwnas.models.subnet.SubnetDims`;
- analytic counts (:mod:`.counts`): params and FLOPs in HAT's conventions;
- the measurement protocol (:mod:`.protocol`): ``hat-mt``, HAT's encoder + cached beam-5 decoder steps;
- the collected-dataset columns (:class:`HatColumns`): HAT's own 14 latency-CSV columns first, so HAT's tools read
  the files unchanged, then medians and minima per phase;
- no graph encoding.
"""

from __future__ import annotations

from hwnas.contracts.family import Counter, GraphEncoding, SpaceFamily
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.data.tables import HAT_TARGETS
from hwnas.encodings.hat import HAT_FEATURE_NAMES, hat_features
from hwnas.families.hat import counts as _counts
from hwnas.families.hat.decode import decode
from hwnas.families.hat.protocol import HatMTProtocol
from hwnas.models.subnet import SubnetDims

HAT_EXTRA = ("latency_median_encoder", "latency_median_decoder", "latency_min_encoder", "latency_min_decoder")


class HatColumns:
    """HAT's 10 averaged features and 4 latency columns (trimmed mean and std per phase, ms), in HAT's order, then
    the median and minimum per phase."""

    columns = HAT_FEATURE_NAMES + HAT_TARGETS + HAT_EXTRA

    def arch_values(self, arch: Arch, space: SearchSpace) -> dict[str, float]:
        return dict(zip(HAT_FEATURE_NAMES, (float(v) for v in hat_features(arch)), strict=True))


class HatFamily:
    name = "hat"
    protocol = HatMTProtocol()
    dataset = HatColumns()
    graph: GraphEncoding | None = None

    def decode(self, arch: Arch, space: SearchSpace) -> SubnetDims:
        return decode(arch, space)

    @property
    def counts(self) -> Counter:
        return _counts.counts


FAMILY: SpaceFamily = HatFamily()
