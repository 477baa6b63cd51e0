"""`MeasureSettings`: everything a latency figure depends on besides the arch and the machine.

Every measurement protocol shares the one settings type (a protocol's own sizes stay ``None`` under another), so a
dataset's sidecar holds one flat mapping and a resumed collection can compare it key by key. The protocols are the
space families' (:class:`hwnas.contracts.family.MeasurementProtocol`); each names the sizes it needs:

- ``hat-mt`` (the ``hat`` family, HAT's protocol for encoder-decoder MT): ``src_len``, ``tgt_len``, ``beam``;
- ``lm-forward`` (the ``gpt`` family, HW-GPT-Bench's setting for decoder-only LMs): ``seq_len``.

``estimator`` says which statistic of the timed runs is the arch's latency (:mod:`hwnas.hardware.stats`; every
row records all of them). A settings mapping written before estimators existed reads as ``trimmed-mean``, the
figure it then held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from hwnas.contracts.family import measurement_protocols
from hwnas.core.errors import ConfigError
from hwnas.hardware.stats import DEFAULT_ESTIMATOR, LEGACY_ESTIMATOR, check_estimator

# Protocols' default torch threads on a CPU: on the 2-vCPU development VM 2 threads ran 5-20x slower than 1 and
# varied up to 4x whenever anything else ran (FACTS.md); one thread is also what a latency budget is usually for.
DEFAULT_CPU_THREADS = 1


@dataclass(frozen=True, kw_only=True)
class MeasureSettings:
    protocol: str  # a space family's measurement protocol: "hat-mt" or "lm-forward"
    device: str = "cpu"  # cpu, cuda or cuda:N
    dtype: str = "fp32"  # fp32, bf16 (fp16 on CUDA): weights and activations are cast to it
    threads: int | None = None  # torch intra-op threads; None = torch's default (protocols default to 1 on CPU)
    warmup: int = 5  # untimed runs first (allocator, caches, lazy kernels)
    runs: int = 20  # timed runs (HAT drops the fastest and slowest 10%, at least the slowest run, for its mean)
    estimator: str = DEFAULT_ESTIMATOR  # min, median or trimmed-mean: the statistic that is the arch's latency
    batch: int = 1  # sentences (hat-mt: HAT's batch 1) or sequences (lm-forward)
    src_len: int | None = None  # hat-mt: source tokens
    tgt_len: int | None = None  # hat-mt: incremental decoder steps
    beam: int | None = None  # hat-mt: hypotheses per sentence in the decoder steps
    seq_len: int | None = None  # lm-forward: tokens per sequence
    seed: int = 0  # random weights and token ids (latency does not depend on them; fixed for reproducibility)

    def __post_init__(self) -> None:
        protocols = measurement_protocols()
        if self.protocol not in protocols:
            raise ConfigError(f"protocol {self.protocol!r} is unknown; allowed: {', '.join(sorted(protocols))}")
        self._at_least("warmup", 0)
        for name in ("runs", "batch", *protocols[self.protocol].required_settings):
            self._at_least(name, 1)
        if self.threads is not None:
            self._at_least("threads", 1)
        check_estimator(self.estimator)

    def _at_least(self, name: str, low: int) -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"measure setting {name!r} is {value!r}; it must be an integer >= {low}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeasureSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown measure setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        return cls(**{"estimator": LEGACY_ESTIMATOR, **data})

    def with_threads(self, threads: int) -> MeasureSettings:
        return replace(self, threads=threads)

    def first_difference(self, other: MeasureSettings) -> tuple[str, Any, Any] | None:
        """(setting, this value, other value) of the first setting that differs, or None."""
        mine, theirs = self.to_dict(), other.to_dict()
        for key in mine:
            if mine[key] != theirs[key]:
                return key, mine[key], theirs[key]
        return None


def with_defaults(values: dict[str, Any], overrides: dict[str, Any]) -> MeasureSettings:
    """A protocol's values with the given overrides (None = not given), one thread on a CPU unless told."""
    values = {**values, **{k: v for k, v in overrides.items() if v is not None}}
    if values.get("threads") is None and str(values.get("device", "cpu")).startswith("cpu"):
        values["threads"] = DEFAULT_CPU_THREADS
    return MeasureSettings(**values)
