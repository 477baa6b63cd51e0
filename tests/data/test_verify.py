"""sha256 verification of local files: ok, ok-content (recompressed), mismatch, missing."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from hwnas.data.registry import get_dataset
from hwnas.data.verify import check_file, verify_dataset, verify_present


def test_every_shared_file_verifies(data_dir: Path) -> None:
    checks = verify_present()
    assert len(checks) == 111
    assert [c.describe() for c in checks if c.status != "ok"] == []


def _copy_folder(data_dir: Path, tmp: Path, folder: str) -> Path:
    root = tmp / "data"
    shutil.copytree(data_dir / folder, root / folder)
    return root


def test_mismatch_and_missing_are_reported(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_folder(data_dir, tmp_path, "hat_latency_dataset")
    target = root / "hat_latency_dataset" / "wmt14ende_cpu_xeon_all.csv"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes().replace(b"640,", b"641,", 1))
    (root / "hat_latency_dataset" / "wmt14ende_gpu_titanxp_all.csv").unlink()
    monkeypatch.setenv("HWNAS_DATA_DIR", str(root))
    by_path = {c.path: c for c in verify_dataset("hat_latency")}
    assert by_path["wmt14ende_cpu_raspberrypi_all.csv"].status == "ok"
    bad = by_path["wmt14ende_cpu_xeon_all.csv"]
    assert bad.status == "mismatch" and not bad.ok
    assert "MISMATCH" in bad.describe() and bad.expected in bad.describe() and str(bad.actual) in bad.describe()
    assert by_path["wmt14ende_gpu_titanxp_all.csv"].status == "missing"


def test_recompressed_text_is_ok_content(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_folder(data_dir, tmp_path, "mt/tatoeba_deu_eng")
    dataset = get_dataset("tatoeba")
    entry = dataset.files[0]
    target = root / dataset.folder / entry.path
    target.chmod(0o644)
    target.write_bytes(gzip.compress(gzip.decompress(target.read_bytes()), compresslevel=1))
    monkeypatch.setenv("HWNAS_DATA_DIR", str(root))
    assert check_file(dataset, entry).status == "ok-content"


def test_corrupted_gzip_is_a_mismatch(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Damaged compressed data makes zlib raise its own error (not an OSError) while the text hash is tried."""
    root = _copy_folder(data_dir, tmp_path, "mt/multi30k")
    dataset = get_dataset("multi30k")
    entry = dataset.file("val.de.gz")
    target = root / dataset.folder / entry.path
    target.chmod(0o644)
    data = target.read_bytes()
    target.write_bytes(data[:200] + b"\xff" * 64 + data[264:])
    monkeypatch.setenv("HWNAS_DATA_DIR", str(root))
    check = check_file(dataset, entry)
    assert check.status == "mismatch" and "MISMATCH" in check.describe()


@pytest.mark.usefixtures("no_data_dir")
def test_nothing_present_means_nothing_checked() -> None:
    assert verify_present() == []
    assert {c.status for c in verify_dataset("iwslt14")} == {"missing"}
