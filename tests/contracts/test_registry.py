"""The one registry type: names, lazy references, options validated with one-line errors, plugins, descriptions."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import Field

from hwnas.contracts.options import Component, NoOptions, Options, describe_options
from hwnas.contracts.registry import Registry
from hwnas.core.errors import ConfigError, UnknownNameError


class Knobs(Options):
    size: int = Field(8, ge=1, description="how many")
    name: str = Field("x", description="what to call it")


def test_names_objects_and_lazy_references() -> None:
    registry: Registry[object] = Registry("thing")
    registry.register("direct", dict, options=Knobs, summary="a dict")
    registry.register("lazy", "collections:OrderedDict")  # imported only when asked for
    assert registry.names() == ["direct", "lazy"]
    assert registry.get("direct") is dict
    import collections

    assert registry.get("lazy") is collections.OrderedDict
    assert registry.options_model("lazy") is NoOptions
    with pytest.raises(UnknownNameError, match="unknown thing 'nope'; known: direct, lazy"):
        registry.get("nope")
    with pytest.raises(ValueError, match="without spaces"):
        registry.register("two words", dict)


def test_options_are_validated_with_one_line_errors() -> None:
    registry: Registry[object] = Registry("searcher")
    registry.register("evo", dict, options=Knobs)
    assert registry.options("evo", {"size": 3}) == Knobs(size=3)
    assert registry.options("evo") == Knobs()
    with pytest.raises(ConfigError, match=r"searcher 'evo': unknown option 'sise'; known: size, name"):
        registry.options("evo", {"sise": 3})
    with pytest.raises(ConfigError, match=r"searcher 'evo': option 'size' is 0: Input should be greater than"):
        registry.options("evo", {"size": 0})


def test_describe_lists_every_option() -> None:
    registry: Registry[object] = Registry("searcher")
    registry.register("evo", dict, options=Knobs, summary="evolution")
    described = registry.describe("evo")
    assert described["summary"] == "evolution"
    assert described["options"] == describe_options(Knobs)
    assert described["options"][0] == {"key": "size", "type": "int", "default": "8", "doc": "how many"}


def test_component_blocks() -> None:
    assert Component(name="evo").options == {}
    with pytest.raises(ValueError):
        Component(name="evo", option={})  # type: ignore[call-arg]


def test_plugins_register_before_a_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry: Registry[object] = Registry("gadget")
    module = tmp_path / "hwnas_test_gadget_plugin.py"
    module.write_text(
        textwrap.dedent(
            """
            import tests_registry_target
            tests_registry_target.registry.register("from-plugin", list)
            """
        )
    )
    target = type(sys)("tests_registry_target")
    target.registry = registry  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests_registry_target", target)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("HWNAS_PLUGINS", "hwnas_test_gadget_plugin")
    assert registry.get("from-plugin") is list
    monkeypatch.setenv("HWNAS_PLUGINS", "no_such_module_anywhere")
    with pytest.raises(ConfigError, match="cannot import plugin module 'no_such_module_anywhere'"):
        registry.names()
