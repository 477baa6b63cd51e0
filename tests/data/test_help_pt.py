"""HELP .pt files through the restricted unpickler; malicious pickles are refused without running."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import pytest

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.help_pt import help_devices, load_help_archs, load_help_latency, load_help_pt, load_help_reference_archs


def _pt(path: Path, payload: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", "3\n")
    return path


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_plain_objects_load(tmp_path: Path) -> None:
    obj = {"a": [1, 2.5, "x"], "b": {"c": 3}}
    assert load_help_pt(_pt(tmp_path / "ok.pt", pickle.dumps(obj, protocol=2))) == obj


def test_os_system_pickle_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = _pt(tmp_path / "evil.pt", pickle.dumps(_Exploit(marker), protocol=2))
    with pytest.raises(DataError, match=r"global (posix|os|nt)\.system is not allowed"):
        load_help_pt(path)
    assert not marker.exists()


def test_torch_tensor_file_is_refused(tmp_path: Path) -> None:
    import torch

    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(DataError, match="refused by the restricted unpickler"):
        load_help_pt(tmp_path / "tensor.pt")


def test_non_zip_is_refused(tmp_path: Path) -> None:
    (tmp_path / "legacy.pt").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(DataError, match="not a torch zip archive"):
        load_help_pt(tmp_path / "legacy.pt")


def test_real_help_tables(data_dir: Path) -> None:
    devices = help_devices("nasbench201")
    assert len(devices) == 27 and "eyeriss" in devices and "titan_rtx_256" in devices
    assert len(help_devices("fbnet")) == 27 and "titanx_64" in help_devices("fbnet")
    latency = load_help_latency("nasbench201", "2080ti_1")
    assert len(latency) == 15625 and latency[0] == pytest.approx(6.029758453369141)
    assert len(load_help_latency("fbnet", "eyeriss")) == 5000
    archs = load_help_archs("nasbench201")
    assert archs["|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"] == 0
    assert load_help_archs("fbnet")[0] == [7, 8, 1, 8, 4, 8, 8, 8, 7, 4, 1, 4, 7, 3, 2, 7, 3, 2, 4, 2, 4, 5]
    assert load_help_reference_archs("fbnet")[:2] == [3328, 3790]
    with pytest.raises(UnknownNameError, match="known: "):
        load_help_latency("fbnet", "tpu")
    with pytest.raises(UnknownNameError, match="known: fbnet, nasbench201"):
        help_devices("darts")
