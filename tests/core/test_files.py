from __future__ import annotations

import json
from pathlib import Path

import pytest

from hwnas.core.errors import DataError
from hwnas.core.files import (
    AppendLog,
    append_json_lines,
    atomic_folder,
    atomic_path,
    read_json_lines,
    write_text_atomic,
)


def test_write_text_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "result.json"
    write_text_atomic(target, "old")
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["result.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.pt"
    target.write_text("complete", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "complete"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_append_log_survives_a_torn_line_and_starts_the_next_record_on_a_fresh_line(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "log.jsonl"
    with AppendLog(path) as log:
        log.append({"a": 0.1 + 0.2})
        log.append_many([{"b": 1}, {"c": [1, 2]}])
        log.append_many([])
    intact = path.stat().st_size
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"d": 4}')  # a whole record whose newline a kill -9 cut off counts as torn too
    assert read_json_lines(path) == ([{"a": 0.1 + 0.2}, {"b": 1}, {"c": [1, 2]}], intact)
    append_json_lines(path, [{"e": 5}])  # opening cuts the torn line
    assert read_json_lines(path)[0] == [{"a": 0.1 + 0.2}, {"b": 1}, {"c": [1, 2]}, {"e": 5}]
    assert path.read_text(encoding="utf-8").endswith('{"c": [1, 2]}\n{"e": 5}\n')


def test_append_log_writes_lines_with_the_given_encoder(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    append_json_lines(
        path, [{"x": "é", "y": 1}], dumps=lambda r: json.dumps(r, ensure_ascii=False, separators=(",", ":"))
    )
    assert path.read_text(encoding="utf-8") == '{"x":"é","y":1}\n'


def test_a_corrupt_line_before_the_last_one_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"k": 1}\n\nnot json\n{"k": 2}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"labels '.*labels\.jsonl' line 3: expected a JSON value"):
        read_json_lines(path, what="labels")
    path.write_text('{"k": 1}\n[1]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"line 2: expected an object with k"):
        read_json_lines(path, valid=lambda v: isinstance(v, dict) and "k" in v, expected="an object with k")
    assert read_json_lines(tmp_path / "missing.jsonl") == ([], 0)


def test_atomic_folder_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "converted"
    with pytest.raises(RuntimeError, match="killed"), atomic_folder(target) as staging:
        (staging / "half.bin").write_bytes(b"x")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its staging copy
    with atomic_folder(target) as staging:
        (staging / "model.bin").write_bytes(b"whole")
    assert [p.name for p in tmp_path.iterdir()] == ["converted"]
    assert (target / "model.bin").read_bytes() == b"whole"
    with pytest.raises(OSError), atomic_folder(target) as staging:  # another process got there first
        (staging / "model.bin").write_bytes(b"second")
    assert (target / "model.bin").read_bytes() == b"whole" and [p.name for p in tmp_path.iterdir()] == ["converted"]
