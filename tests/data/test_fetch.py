"""Downloads into the cache: checked, transformed to the stored form, never left half-written. No network used."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import DataError
from hwnas.data.fetch import fetch_dataset, fetch_file, strip_cluster_path
from hwnas.data.registry import DataFile, Dataset, get_dataset
from hwnas.data.verify import check_path


def _serve(payload: bytes, calls: list[str] | None = None) -> Callable[[str, Any, Any], None]:
    """A pooch-protocol downloader that writes ``payload`` (and records the URLs it was asked for)."""

    def download(url: str, output_file: Any, pooch: Any) -> None:
        if calls is not None:
            calls.append(url)
        Path(output_file).write_bytes(payload)

    return download


def _toy(payload: bytes, **extra: Any) -> tuple[Dataset, DataFile]:
    entry = DataFile(path="sub/toy.txt", sha256=hashlib.sha256(payload).hexdigest(), url="https://x.test/toy", **extra)
    return Dataset(name="toy", folder="toyset", description="d", licence="l", source="s", files=(entry,)), entry


def test_fetch_stores_a_checked_file_in_the_cache(private_cache: Path) -> None:
    dataset, entry = _toy(b"hello\n")
    calls: list[str] = []
    path = fetch_file(dataset, entry, downloader=_serve(b"hello\n", calls))
    assert path == private_cache / "toyset" / "sub" / "toy.txt"
    assert path.read_bytes() == b"hello\n"
    assert calls == ["https://x.test/toy"]
    fetch_file(dataset, entry, downloader=_serve(b"hello\n", calls))  # a valid cached copy is not downloaded again
    assert len(calls) == 1
    fetch_file(dataset, entry, downloader=_serve(b"hello\n", calls), force=True)
    assert len(calls) == 2


def test_corrupt_download_is_refused_and_not_stored(private_cache: Path) -> None:
    dataset, entry = _toy(b"hello\n")
    with pytest.raises(DataError, match=r"does not match the registry.*expected " + entry.sha256):
        fetch_file(dataset, entry, downloader=_serve(b"tampered\n"))
    assert not (private_cache / "toyset" / "sub" / "toy.txt").exists()
    assert list((private_cache / "toyset" / "sub").iterdir()) == []  # staging folder cleaned up


def test_plain_text_upstream_is_stored_gzipped(private_cache: Path) -> None:
    text = b"Ein Satz.\nA sentence.\n"
    stored = gzip.compress(text, mtime=0)
    entry = DataFile(
        path="t.gz",
        sha256=hashlib.sha256(b"other gzip bytes").hexdigest(),  # the shared copy was compressed differently
        url="https://x.test/t",
        upstream="gzip",
        content_sha256=hashlib.sha256(text).hexdigest(),
    )
    dataset = Dataset(name="t", folder="t", description="d", licence="l", source="s", files=(entry,))
    path = fetch_file(dataset, entry, downloader=_serve(text))
    assert gzip.decompress(path.read_bytes()) == text
    assert path.read_bytes() == stored
    assert check_path(entry, path) == "ok-content"


def test_network_failure_becomes_a_data_error() -> None:
    dataset, entry = _toy(b"x")

    def offline(url: str, output_file: Any, pooch: Any) -> None:
        raise ConnectionError("Name or service not known")

    with pytest.raises(DataError, match=r"download of https://x\.test/toy failed .*ConnectionError"):
        fetch_file(dataset, entry, downloader=offline)


def test_dataset_without_url_cannot_be_fetched() -> None:
    with pytest.raises(DataError, match="no public download"):
        fetch_dataset("hwgptbench")


def test_file_url_mirror_of_the_data_folder(data_dir: Path, private_cache: Path) -> None:
    paths = fetch_dataset("hat_latency", mirror=data_dir.as_uri())
    assert [p.parent for p in paths] == [private_cache / "hat_latency_dataset"] * 3
    for path in paths:
        assert path.read_bytes() == (data_dir / "hat_latency_dataset" / path.name).read_bytes()


def test_missing_mirror_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        fetch_dataset("nasflat", mirror=tmp_path.as_uri())


def test_mt_upstream_plain_text_round_trip(data_dir: Path, private_cache: Path) -> None:
    """newstest2019 upstream is plain text: the fetched .gz differs from the shared bytes but holds the same text."""
    dataset = get_dataset("newstest2019")
    for entry in dataset.files:
        text = gzip.decompress((data_dir / dataset.folder / entry.path).read_bytes())
        path = fetch_file(dataset, entry, downloader=_serve(text))
        assert check_path(entry, path) in ("ok", "ok-content")


def _with_cluster_path(stored: bytes) -> bytes:
    """Rebuild upstream lines: ``sockeye_dir`` sits right after valid_BLEU in the authors' files."""
    lines = []
    for line in stored.decode().splitlines():
        record = json.loads(line)
        scratch = record["scratch"]
        rebuilt: dict[str, Any] = {}
        for key, value in scratch.items():
            rebuilt[key] = value
            if key == "valid_BLEU":
                rebuilt["sockeye_dir"] = "/scratch/somewhere/run/7"
        record["scratch"] = rebuilt
        lines.append(json.dumps(record))
    return ("\n".join(lines) + "\n").encode()


def test_llmpp_cluster_path_is_dropped_to_match_the_registry(data_dir: Path) -> None:
    dataset = get_dataset("llmpp_seedarchs")
    entry = dataset.file("456/wmt19ende/test.jsonl")
    stored = (data_dir / dataset.folder / entry.path).read_bytes()
    upstream = _with_cluster_path(stored)
    assert b"sockeye_dir" in upstream and strip_cluster_path(upstream) == stored
    path = fetch_file(dataset, entry, downloader=_serve(upstream))
    assert check_path(entry, path) == "ok"
