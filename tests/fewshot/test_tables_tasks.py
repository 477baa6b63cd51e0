"""HELP's device tables as one aligned (arch x device) matrix per space, and the published tasks: every device of a
public task has a table, the private ones say which devices are missing. Skips without HWNAS_DATA_DIR."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.data.help_pt import load_help_latency, load_help_reference_archs
from hwnas.families.nb201 import to_string
from hwnas.fewshot.tables import help_table
from hwnas.fewshot.tasks import TASKS, get_task


@pytest.mark.parametrize(("space", "archs"), [("nb201", 15625), ("fbnet", 5000)])
def test_a_help_space_is_one_aligned_matrix_of_its_27_devices(data_dir: Path, space: str, archs: int) -> None:
    table = help_table(space)
    assert table.latency.shape == (archs, 27) and len(table.archs) == archs
    assert len({a.arch_id for a in table.archs}) == archs  # one row per distinct arch
    folder = "nasbench201" if space == "nb201" else "fbnet"
    raw = load_help_latency(folder, "raspi4")
    assert np.array_equal(table.device("raspi4").latency, np.asarray(raw))
    reference = load_help_reference_archs(folder)
    assert max(reference) < archs  # HELP's fingerprint indices address rows
    with pytest.raises(UnknownNameError, match=r"unknown .* device 'jetson'; known: 1080ti_1"):
        table.device("jetson")


def test_nb201_rows_follow_help_arch_strings(data_dir: Path) -> None:
    from hwnas.data.help_pt import load_help_archs

    index = load_help_archs("nasbench201")
    table = help_table("nb201")
    for text, i in list(index.items())[:20]:
        assert to_string(table.archs[i]) == text


def test_every_public_task_names_devices_with_tables_and_private_ones_say_what_is_missing(data_dir: Path) -> None:
    assert sorted(TASKS) == ["F0", "F1", "F2", "F3", "F4", "F5", "N0", "N1", "N2", "N3", "N4", "N5"]
    for task in TASKS.values():
        devices = set(help_table(task.space).devices)
        wanted = set(task.source) | set(task.target)
        assert not set(task.source) & set(task.target)
        if task.public:
            assert wanted <= devices, task.name
            task.check_runnable()
        else:
            assert set(task.missing) == wanted - devices and task.missing, task.name
            with pytest.raises(ConfigError, match=f"task {task.name} needs devices"):
                task.check_runnable()
    assert get_task("F0").target == ("fpga", "raspi4", "eyeriss")
    with pytest.raises(UnknownNameError):
        get_task("F9")
