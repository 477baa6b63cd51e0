"""Journal crash safety, atomic writes, config validation and layering, run-directory refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import write_text_atomic
from hwnas.search.config import SearchConfig, build_config, first_difference, load_config_file
from hwnas.search.journal import Journal, read_journal
from hwnas.search.loop import plan_search
from hwnas.search.rundir import check_run_dir, create_run_dir, resolve_config


def test_journal_round_trip_and_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal.open(path) as journal:
        journal.append({"kind": "eval", "arch_id": "a", "metrics": {"x": 0.1 + 0.2}})
        journal.append_many([{"kind": "iteration", "iteration": 0}, {"kind": "eval", "arch_id": "b"}])
    intact = path.stat().st_size
    with path.open("a") as handle:
        handle.write('{"kind": "eval", "arch_id": "c", "metr')  # a kill -9 in the middle of a write
    entries, length = read_journal(path)
    assert [e.get("arch_id") for e in entries] == ["a", None, "b"] and length == intact
    assert entries[0]["metrics"]["x"] == 0.1 + 0.2  # floats survive exactly
    with Journal.open(path) as journal:  # reopening cuts the torn line so the next entry starts a fresh line
        journal.append({"kind": "eval", "arch_id": "d"})
    assert [e.get("arch_id") for e in read_journal(path)[0]] == ["a", None, "b", "d"]


def test_journal_corruption_in_the_middle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text('{"kind": "eval"}\nnot json\n{"kind": "eval"}\n')
    with pytest.raises(DataError, match="line 2 is not valid JSON"):
        read_journal(path)
    path.write_text('{"kind": "eval"}\n[1, 2]\n')
    with pytest.raises(DataError, match="line 2 is not a journal entry"):
        read_journal(path)
    assert read_journal(tmp_path / "missing.jsonl") == ([], 0)


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    write_text_atomic(target, "old")
    write_text_atomic(target, json.dumps({"new": True}))
    assert json.loads(target.read_text()) == {"new": True}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temp file left behind


def test_config_defaults_are_hats_and_errors_name_the_key() -> None:
    config = build_config({"space": "tiny", "objectives": "params:max"})
    evolution = config.searcher_options()
    assert (config.searcher.name, config.population, evolution.parents, evolution.mutation_size) == (  # type: ignore[attr-defined]
        "evolution",
        125,
        25,
        50,
    )
    assert (evolution.mutation_prob, evolution.crossover_size, config.iterations) == (0.3, 50, 30)  # type: ignore[attr-defined]
    assert [b.name for b in config.evaluators] == ["analytic"] and config.executor.name == "serial"
    with pytest.raises(ConfigError, match="unknown config key 'popsize'; known keys: space, objectives"):
        build_config({"space": "tiny", "objectives": ["params:max"], "popsize": 3})
    with pytest.raises(ConfigError, match=r"searcher 'evolution': option 'mutation_prob'.*less than or equal to 1"):
        build_config({"space": "tiny", "objectives": ["params:max"], "mutation_prob": 1.5})
    with pytest.raises(ConfigError, match="no objective: give --objective"):
        plan_search(build_config({"space": "tiny"}))
    with pytest.raises(ConfigError, match="constraint 'flops=<1' is malformed"):
        build_config({"space": "tiny", "objectives": ["params:max"], "constraints": ["flops=<1"]})


def test_later_layers_win_and_none_is_skipped() -> None:
    config = build_config({"space": "tiny", "objectives": ["params:max"], "seed": 1}, {"seed": 7, "space": None})
    assert config.seed == 7 and config.space == "tiny"
    other = build_config(config.to_dict(), {"seed": 8, "out": "elsewhere", "resume": True})
    assert first_difference(config, other) == ("seed", 7, 8)  # out / resume do not count
    assert first_difference(config, build_config(config.to_dict(), {"out": "x"})) is None


def test_config_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("space: [unclosed\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_config_file(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config_file(bad)
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config_file(tmp_path / "missing.yaml")


def test_run_dir_refusals_and_resume_layering(tmp_path: Path) -> None:
    base = {"space": "tiny", "objectives": ["params:max"], "seed": 3, "out": str(tmp_path / "run")}
    config = build_config(base)
    assert check_run_dir(config) is None
    create_run_dir(config)
    assert yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["seed"] == 3
    with pytest.raises(ConfigError, match="is not empty; pass --resume"):
        check_run_dir(config)
    resumed = resolve_config({"out": str(tmp_path / "run"), "resume": True})  # the stored config fills the rest
    assert resumed.seed == 3 and check_run_dir(resumed) is not None
    changed = resolve_config({"out": str(tmp_path / "run"), "resume": True, "seed": 4})
    with pytest.raises(ConfigError, match=r"config key 'seed' is 4 here but 3 in its config\.yaml"):
        check_run_dir(changed)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="not a run directory"):
        check_run_dir(SearchConfig(**{**base, "out": str(tmp_path / "other"), "resume": True}))
