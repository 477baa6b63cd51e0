"""The seams around the families: the layers below them reach a family only by name (never by import), spaces
do not import encodings, counting imports no torch, and a family registered from outside works everywhere."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from hwnas.contracts.family import FAMILIES
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.metrics import UnsupportedFamilyError, analytic_metrics, register_family

SRC = Path(__file__).resolve().parents[2] / "src" / "hwnas"
BELOW_FAMILIES = ("core", "contracts", "configio", "spaces", "encodings", "data", "metrics", "models", "hardware")


def _imported(package: str) -> set[tuple[str, str]]:
    """(file, module) of every absolute hwnas import in a package, function-level ones included."""
    found = set()
    for path in (SRC / package).rglob("*.py") if (SRC / package).is_dir() else [SRC / f"{package}.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            found |= {(path.name, name) for name in names if name.startswith("hwnas.")}
    return found


@pytest.mark.parametrize("package", BELOW_FAMILIES)
def test_lower_layers_name_families_only_through_the_registry(package: str) -> None:
    assert not [(f, m) for f, m in _imported(package) if m.startswith("hwnas.families")]


def test_spaces_do_not_import_encodings() -> None:
    assert not [(f, m) for f, m in _imported("spaces") if m.startswith("hwnas.encodings")]


def test_counting_decoding_and_settings_import_no_torch() -> None:
    code = (
        "import sys\n"
        "from hwnas.contracts.family import family_of\n"
        "from hwnas.hardware.settings import MeasureSettings\n"
        "from hwnas.metrics import analytic_metrics\n"
        "from hwnas.spaces import get_space\n"
        "for name in ('hat-wmt14ende', 'gpt-s', 'nb201', 'fbnet'):\n"
        "    space = get_space(name)\n"
        "    family_of(space).decode(space.largest(), space)\n"
        "    if family_of(space).counts: analytic_metrics(space.largest(), space)\n"
        "    if family_of(space).protocol: family_of(space).protocol.default_settings(space)\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


class _Widths:
    """A user's family: one gene, ``width``; params = width squared."""

    name = "widths"
    protocol = dataset = graph = None

    def decode(self, arch: Arch, space: SearchSpace) -> int:
        return int(arch["width"])  # type: ignore[arg-type]

    @property
    def counts(self) -> object:
        def count(arch: Arch, space: SearchSpace) -> dict[str, float]:
            p = float(self.decode(arch, space) ** 2)
            return {"params": p, "params_no_embed": p, "flops": 2 * p, "macs": p}

        return count


def test_a_family_registered_from_outside_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    space = SearchSpace.from_dict({"name": "mine", "family": "widths", "genes": {"width": {"choices": [2, 3]}}})
    other = SearchSpace.from_dict({"name": "cells", "family": "other", "genes": {"op": {"choices": ["a"]}}})
    with pytest.raises(UnsupportedFamilyError, match=r"supported families: fbnet, gpt, hat, nb201$"):
        analytic_metrics(space.smallest(), space)
    monkeypatch.setattr(FAMILIES, "_entries", dict(FAMILIES._entries))  # the registration ends with the test
    register_family(_Widths())  # type: ignore[arg-type]
    assert analytic_metrics(space.largest(), space) == {
        "params": 9.0,
        "params_no_embed": 9.0,
        "flops": 18.0,
        "macs": 9.0,
    }
    with pytest.raises(UnsupportedFamilyError, match=r"supported families: fbnet, gpt, hat, nb201, widths$"):
        analytic_metrics(other.smallest(), other)
