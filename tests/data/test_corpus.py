"""Parallel corpora: reading, alignment checks, named splits."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.corpus import corpus_splits, load_corpus, load_parallel, read_lines


def test_plain_gzip_and_crlf_read_the_same(tmp_path: Path) -> None:
    text = "Ein Hund läuft.\nZwei Katzen\u2028schlafen.\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.de").write_bytes(gzip.compress(text.encode()))  # gzip detected by content, not by suffix
    (tmp_path / "c.txt").write_bytes(text.replace("\n", "\r\n").encode())
    expected = ("Ein Hund läuft.", "Zwei Katzen\u2028schlafen.")  # U+2028 is not a line break in a corpus
    for name in ("a.txt", "b.de", "c.txt"):
        assert read_lines(tmp_path / name) == expected


def test_unequal_line_counts_name_both_files(tmp_path: Path) -> None:
    (tmp_path / "s.en").write_text("a\nb\nc\n")
    (tmp_path / "t.de").write_text("x\ny\n")
    with pytest.raises(DataError) as info:
        load_parallel(tmp_path / "s.en", tmp_path / "t.de")
    message = str(info.value)
    assert "3 lines" in message and "2 lines" in message and "s.en" in message and "t.de" in message


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("ok\nGrüße\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"not UTF-8 \(line 2"):
        read_lines(tmp_path / "latin1.txt")


def test_user_corpus_by_path(tmp_path: Path) -> None:
    (tmp_path / "s.en").write_text("a dog\na cat\n")
    (tmp_path / "t.de").write_text("ein Hund\neine Katze\n")
    corpus = load_parallel(tmp_path / "s.en", tmp_path / "t.de", src_lang="en", tgt_lang="de")
    assert len(corpus) == 2
    assert corpus[1] == ("a cat", "eine Katze")
    assert list(corpus.subset([1, 0])) == [("a cat", "eine Katze"), ("a dog", "ein Hund")]


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_lines(tmp_path / "nope.txt")


@pytest.mark.parametrize(
    ("name", "split", "src", "tgt", "pairs"),
    [
        ("multi30k", "train", "en", "de", 29000),
        ("multi30k", "val", "de", "en", 1014),
        ("multi30k", "test2016", "en", "de", 1000),
        ("multi30k", "test2017", "en", "de", 1000),
        ("multi30k", "test2017_mscoco", "en", "de", 461),
        ("multi30k", "test2018", "en", "de", 1071),
        ("newstest2013", "test", "en", "de", 3000),
        ("newstest2014", "test", "en", "de", 3003),
        ("newstest2014", "test", "en", "fr", 3003),
        ("newstest2019", "test", "en", "de", 1997),
        ("iwslt14", "test", "de", "en", 6750),
        ("iwslt14", "valid", "de", "en", 6969),
        ("tatoeba", "test", "de", "en", 17565),
    ],
)
def test_registered_splits_have_the_documented_sizes(
    data_dir: Path, name: str, split: str, src: str, tgt: str, pairs: int
) -> None:
    corpus = load_corpus(name, split=split, src=src, tgt=tgt)
    assert len(corpus) == pairs
    assert corpus.src_lang == src and corpus.tgt_lang == tgt


def test_direction_swaps_sides(data_dir: Path) -> None:
    en_de = load_corpus("multi30k", split="val", src="en", tgt="de")
    de_en = load_corpus("multi30k", split="val", src="de", tgt="en")
    assert en_de.src == de_en.tgt and en_de.tgt == de_en.src
    assert en_de[0][0].startswith("A group of men are loading cotton")


def test_newstest2014_pairs_are_different_sets(data_dir: Path) -> None:
    de = load_corpus("newstest2014", split="test", src="en", tgt="de")
    fr = load_corpus("newstest2014", split="test", src="en", tgt="fr")
    assert de.src != fr.src
    assert fr[0] == ("Spectacular Wingsuit Jump Over Bogota", 'Spectaculaire saut en "wingsuit" au-dessus de Bogota')


def test_split_errors_list_the_choices() -> None:
    assert corpus_splits("newstest2014") == {"test": [("de", "en"), ("en", "fr")]}
    with pytest.raises(UnknownNameError, match="known: test2016, test2017"):
        load_corpus("multi30k", split="test", src="en", tgt="de")
    with pytest.raises(DataError, match="no en-cs pair; available language pairs: de-en, en-fr"):
        load_corpus("newstest2014", split="test", src="en", tgt="cs")
    with pytest.raises(DataError, match="not a parallel corpus"):
        load_corpus("help", split="test", src="en", tgt="de")
