"""--init-archs: reading and validating the file, and the first generation of every searcher starting with the
given archs (duplicates and cheap-constraint violators dropped and counted), through the one shared wrapper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.metrics import analytic_metrics
from hwnas.search import build_config, resolve_config, run_search
from hwnas.search.config import SearchConfig
from hwnas.search.journal import read_journal
from hwnas.search.registry import get_searcher_class, searcher_names
from hwnas.search.seeding import SeededSearcher, load_init_archs
from hwnas.spaces import get_space

from .fakes import CountingEvaluator, score, small_decoder

SPACE = get_space("hat-wmt14ende")
SMALL = {"population": 16, "parents": 4, "mutation_size": 6, "crossover_size": 6, "batch_size": 5}


def _flops(arch: Arch) -> float:
    return float(analytic_metrics(arch, SPACE)["flops"])


def _light(count: int, seed: int = 0) -> list[Arch]:
    """``count`` distinct archs under 3e9 FLOPs."""
    rng = np.random.default_rng(seed)
    found: dict[str, Arch] = {}
    while len(found) < count:
        arch = SPACE.sample(rng)
        if _flops(arch) <= 3e9:
            found.setdefault(arch.arch_id, arch)
    return list(found.values())


def _write_jsonl(path: Path, archs: list[Arch]) -> Path:
    path.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in archs))
    return path


@pytest.mark.parametrize("algorithm", ["evolution", "random", "local"])
def test_first_generation_starts_with_the_seeds(tmp_path: Path, counting: CountingEvaluator, algorithm: str) -> None:
    seeds = _light(3)
    heavy = SPACE.largest()
    assert _flops(heavy) > 3e9
    path = _write_jsonl(tmp_path / "seeds.jsonl", [seeds[0], seeds[1], seeds[0], heavy, seeds[2]])
    config = {"space": SPACE.name, "objectives": ["width:max"], "evaluators": ["analytic", "counting"]}
    config |= {"constraints": ["flops<=3e9"], "iterations": 4, "algorithm": algorithm, "init_archs": str(path)}
    result = run_search(build_config({**config, **SMALL, "out": str(tmp_path / "run")})).result
    journal = read_journal(tmp_path / "run" / "journal.jsonl")[0]
    first = next(e for e in journal if e["kind"] == "iteration")["asked"]
    assert first[:3] == [a.arch_id for a in seeds] and len(first) == SMALL["population"]
    assert heavy.arch_id not in first
    assert result.init_archs == {"given": 5, "used": 3, "duplicates": 1, "infeasible": 1}
    assert result.counts["filtered"] == 0


def test_more_seeds_than_the_population_are_all_asked(tmp_path: Path, counting: CountingEvaluator) -> None:
    seeds = _light(20, seed=1)
    path = _write_jsonl(tmp_path / "seeds.jsonl", seeds)
    config = {"space": SPACE.name, "objectives": ["width:max"], "evaluators": ["counting"], "iterations": 2}
    result = run_search(build_config({**config, **SMALL, "init_archs": str(path), "out": str(tmp_path / "r")})).result
    first = next(e for e in read_journal(tmp_path / "r" / "journal.jsonl")[0] if e["kind"] == "iteration")
    assert first["asked"] == [a.arch_id for a in seeds]
    assert result.init_archs is not None and result.init_archs["used"] == 20


def test_seeded_run_resumes_identically(tmp_path: Path, counting: CountingEvaluator) -> None:
    path = _write_jsonl(tmp_path / "seeds.jsonl", _light(4))
    config = {"space": SPACE.name, "objectives": ["width:max"], "evaluators": ["counting"], "iterations": 5}
    run_search(build_config({**config, **SMALL, "init_archs": str(path), "out": str(tmp_path / "full")}))
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "config.yaml").write_text((tmp_path / "full" / "config.yaml").read_text())
    lines = (tmp_path / "full" / "journal.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "part" / "journal.jsonl").write_text("".join(lines[:12]))
    run_search(resolve_config({"out": str(tmp_path / "part"), "resume": True}))
    assert (tmp_path / "part" / "result.json").read_text() == (tmp_path / "full" / "result.json").read_text()


@pytest.mark.parametrize("name", searcher_names())
def test_the_wrapper_seeds_every_registered_searcher(name: str) -> None:
    searcher = {"name": name, "options": {"parents": 4} if name.startswith("evolution") else {}}
    config = SearchConfig(space=SPACE.name, objectives=["width:max"], population=12, searcher=searcher)
    rng = np.random.default_rng(0)
    inner = get_searcher_class(name).from_config(SPACE, config, rng=rng, feasible=small_decoder)
    seeds = [a for a in _light(40, seed=2) if small_decoder(a)][:3]
    searcher = SeededSearcher(inner, [*seeds, SPACE.largest()], feasible=small_decoder)
    first = searcher.ask(12)
    assert first[:3] == seeds and len(first) == 12 and all(small_decoder(a) for a in first)
    assert searcher.counts == {"given": 4, "used": 3, "duplicates": 0, "infeasible": 1}
    searcher.tell(score(first))
    assert searcher.ask(12) and searcher.counts["used"] == 3  # later asks are the searcher's own


def test_yaml_and_json_lists_and_bare_genes_are_accepted(tmp_path: Path) -> None:
    archs = _light(2)
    (tmp_path / "a.yaml").write_text(yaml.safe_dump([a.to_dict() for a in archs]))
    (tmp_path / "a.json").write_text(json.dumps([archs[0].to_dict(), archs[1].to_dict()["genes"]]))
    (tmp_path / "one.yml").write_text(yaml.safe_dump(archs[0].to_dict()))
    assert list(load_init_archs(tmp_path / "a.yaml", SPACE)) == archs
    assert list(load_init_archs(tmp_path / "a.json", SPACE)) == archs
    assert list(load_init_archs(tmp_path / "one.yml", SPACE)) == archs[:1]


def _genes(**changes: Any) -> dict[str, Any]:
    return {**SPACE.smallest().to_dict()["genes"], **changes}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [
                {"space": "hat-wmt14ende", "genes": _genes()},
                {"space": "hat-wmt14ende", "genes": _genes(encoder_embed_dim=7)},
            ],
            r"seeds\.jsonl' line 2: space 'hat-wmt14ende': gene 'encoder_embed_dim' has value 7; allowed: 640, 512",
        ),
        ([{"space": "nb201", "genes": _genes()}], r"line 1: the arch is for space 'nb201', not the run's space"),
        (["not an arch"], r"line 1: expected a \{space, genes\} mapping, got 'not an arch'"),
        ([{"genes": [1, 2]}], r"line 1: 'genes' must be a mapping"),
    ],
)
def test_an_invalid_line_names_file_line_gene_and_choices(tmp_path: Path, lines: list[Any], message: str) -> None:
    path = tmp_path / "seeds.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(DataError, match=message):
        load_init_archs(path, SPACE)


def test_unreadable_malformed_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"cannot read init archs file .*\(config key init_archs\)"):
        load_init_archs(tmp_path / "missing.jsonl", SPACE)
    (tmp_path / "bad.jsonl").write_text(json.dumps(SPACE.smallest().to_dict()) + "\n{torn\n")
    with pytest.raises(DataError, match=r"bad\.jsonl' line 2 is not valid JSON"):
        load_init_archs(tmp_path / "bad.jsonl", SPACE)
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(DataError, match="holds no archs"):
        load_init_archs(tmp_path / "empty.jsonl", SPACE)
    (tmp_path / "scalar.yaml").write_text("3\n")
    with pytest.raises(DataError, match="must hold a list of"):
        load_init_archs(tmp_path / "scalar.yaml", SPACE)
