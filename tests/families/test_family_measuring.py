"""The measuring side of the family contract, over every registered family with a protocol: its settings, the
metrics the latency evaluator reports, and a collected row holding exactly the family's columns."""

from __future__ import annotations

import dataclasses

import pytest

from hwnas.contracts.family import FAMILIES, families_with, family_of, measurement_protocols
from hwnas.core.errors import UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.hardware.dataset_files import EXTRA_COLUMNS, PHASE_STATS, columns_for, row_for, stat_column
from hwnas.hardware.protocols import protocol_for
from hwnas.hardware.settings import MeasureSettings
from hwnas.hardware.stats import TimingStats
from hwnas.hardware.timing import Measurement
from hwnas.spaces import builtin_names, get_space

MEASURED = [get_space(n) for n in builtin_names() if get_space(n).family in families_with("protocol")]


def test_protocols_and_datasets_come_together() -> None:
    assert measurement_protocols().keys() == {"hat-mt", "lm-forward"}
    assert families_with("protocol") == families_with("dataset") == ["gpt", "hat"]
    for name in FAMILIES.names():
        protocol = FAMILIES.get(name).protocol
        if protocol is not None:
            fields = {f.name for f in dataclasses.fields(MeasureSettings)}
            assert protocol.phases and set(protocol.required_settings) <= fields, name


@pytest.mark.parametrize("space", MEASURED, ids=lambda s: s.name)
def test_default_settings_name_the_protocol_and_its_sizes(space: SearchSpace) -> None:
    protocol = protocol_for(space)
    settings = protocol.default_settings(space, runs=3)
    assert isinstance(settings, MeasureSettings) and settings.protocol == protocol.name and settings.runs == 3
    assert all(getattr(settings, name) >= 1 for name in protocol.required_settings)
    assert settings.threads == 1  # one thread on a CPU unless told
    with pytest.raises(Exception, match=protocol.required_settings[0]):
        MeasureSettings(**{**settings.to_dict(), protocol.required_settings[0]: None})


@pytest.mark.parametrize("space", MEASURED, ids=lambda s: s.name)
def test_a_row_holds_exactly_the_family_columns(space: SearchSpace) -> None:
    protocol = protocol_for(space)
    stats = TimingStats(mean=2.0, median=2.5, std=0.5, min=1.5, runs=3)
    measurement = Measurement(
        arch_id="-", phases=dict.fromkeys(protocol.phases, stats), peak_memory_mb=None, energy_mj=None, load_1m=0.0,
        contention=0.0, settings=protocol.default_settings(space), device_info={},
    )  # fmt: skip
    row = row_for(space.largest(), space, measurement)
    assert tuple(row) == columns_for(space) and columns_for(space)[-len(EXTRA_COLUMNS) :] == EXTRA_COLUMNS
    for phase in protocol.phases:
        for stat in PHASE_STATS:
            assert float(row[stat_column(stat, phase, len(protocol.phases))]) == getattr(stats, stat)
    assert all(row[c] for c in family_of(space).dataset.columns)  # type: ignore[union-attr]


def test_families_without_a_protocol_are_refused_by_name() -> None:
    for name in ("nb201", "fbnet"):
        with pytest.raises(UnknownNameError, match=f"measurement protocol for space family '{name}'.*gpt, hat"):
            protocol_for(get_space(name))
        with pytest.raises(UnknownNameError, match="collected-dataset columns"):
            columns_for(get_space(name))
