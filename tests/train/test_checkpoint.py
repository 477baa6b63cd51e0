"""Checkpoints: atomic writes (a failure leaves no partial file and keeps the previous one), safe loading,
pruning, and RNG state round trips."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from hwnas.core.errors import DataError
from hwnas.train import checkpoint as ckpt


def test_failed_write_leaves_no_partial_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "step-00000001.pt"
    ckpt.atomic_torch_save({"format": ckpt.FORMAT, "value": 1}, path)
    real_save = torch.save

    def dies_halfway(obj: object, handle: object) -> None:
        real_save({"format": ckpt.FORMAT, "value": 2, "big": torch.zeros(10_000)}, handle)  # type: ignore[arg-type]
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", dies_halfway)
    with pytest.raises(OSError, match="disk full"):
        ckpt.atomic_torch_save({"value": 2}, path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert ckpt.load_checkpoint(path)["value"] == 1


def test_foreign_and_missing_files_are_data_errors(tmp_path: Path) -> None:
    torch.save({"weights": torch.ones(2)}, tmp_path / "other.pt")
    with pytest.raises(DataError, match=r"not a valid hwnas checkpoint: .*other\.pt .*without format"):
        ckpt.load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"not a valid hwnas checkpoint: .*junk\.pt .*unreadable"):
        ckpt.load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(DataError, match="not found"):
        ckpt.load_checkpoint(tmp_path / "none.pt")


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for step in (3, 10, 7):
        ckpt.atomic_torch_save({"format": ckpt.FORMAT}, ckpt.step_path(tmp_path, step))
    ckpt.prune_checkpoints(tmp_path, keep=2)
    assert [s for s, _ in ckpt.list_step_checkpoints(tmp_path)] == [7, 10]
    assert ckpt.latest_checkpoint(tmp_path) == ckpt.step_path(tmp_path, 10)


def test_rng_states_survive_a_save_and_safe_load(tmp_path: Path) -> None:
    ckpt.atomic_torch_save({"format": ckpt.FORMAT, "rng": ckpt.capture_rng_states()}, tmp_path / "r.pt")
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    ckpt.restore_rng_states(ckpt.load_checkpoint(tmp_path / "r.pt")["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
