"""Prompt templates as versioned Jinja2 files, and the text pieces they are filled with.

A template is a ``.j2`` file with a ``user`` block and an optional ``system`` block; each block becomes one chat
message. Built-in templates live in ``hwnas/llm/templates`` and are named by their file stem, which carries the
version (``llmpp-v1``): a changed wording is a new file, so results recorded with one name stay reproducible. A
user's own template is accepted wherever a name is (a path to a ``.j2`` file). Rendering uses ``StrictUndefined``:
a variable the template uses but the caller did not give is an error, never an empty string in the prompt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, HwnasError, UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.llm.base import Message

_BUILTIN = "hwnas.llm.templates"
TEMPLATE_SUFFIX = ".j2"


def template_names() -> list[str]:
    """Names of the built-in templates (file stems, e.g. ``llmpp-v1``)."""
    files = resources.files(_BUILTIN).iterdir()
    return sorted(f.name.removesuffix(TEMPLATE_SUFFIX) for f in files if f.name.endswith(TEMPLATE_SUFFIX))


@dataclass(frozen=True)
class PromptTemplate:
    """A loaded template. ``name`` is the built-in name or the user's path; ``sha256`` pins its exact text."""

    name: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def describe(self) -> dict[str, str]:
        """What results record about the template that produced their prompts."""
        return {"name": self.name, "sha256": self.sha256}

    def render(self, variables: Mapping[str, Any]) -> tuple[Message, ...]:
        """The chat messages: the ``system`` block (if any, and not blank) then the ``user`` block; a template
        without blocks is one user message."""
        import jinja2

        env = jinja2.Environment(
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False
        )
        try:
            template = env.from_string(self.text)
            context = template.new_context(dict(variables))
            if "user" not in template.blocks:
                return (Message("user", template.render(dict(variables)).strip()),)
            messages = []
            if "system" in template.blocks:
                system = "".join(template.blocks["system"](context)).strip()
                if system:
                    messages.append(Message("system", system))
            messages.append(Message("user", "".join(template.blocks["user"](context)).strip()))
        except jinja2.UndefinedError as exc:
            given = ", ".join(sorted(variables)) or "(none)"
            raise ConfigError(f"prompt template {self.name!r}: {exc.message}; variables given: {given}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"prompt template {self.name!r} line {exc.lineno}: {exc.message}") from None
        return tuple(messages)


def load_template(name_or_path: str | Path) -> PromptTemplate:
    """A built-in template by name (``llmpp-v1``) or a user's ``.j2`` file by path."""
    text = str(name_or_path)
    if text in template_names():
        body = resources.files(_BUILTIN).joinpath(text + TEMPLATE_SUFFIX).read_text(encoding="utf-8")
        return PromptTemplate(text, body)
    path = Path(text)
    if path.is_file():
        try:
            return PromptTemplate(str(path), path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read prompt template {text!r}: {exc}") from None
    if text.endswith(TEMPLATE_SUFFIX) or "/" in text:
        raise ConfigError(f"prompt template file {text!r} does not exist")
    raise UnknownNameError("prompt template (or give a path to a .j2 file)", text, template_names())


# the text pieces templates are filled with ------------------------------------------------------------------
def gene_label(name: str) -> str:
    """``encoder_ffn_embed_dim`` -> ``encoder ffn embed dim`` (how HAT's papers and configs read to a model)."""
    return name.replace("_", " ").replace("-", " ")


def _value_text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def hyperparameters(space: SearchSpace) -> list[dict[str, Any]]:
    """One entry per gene: key (gene name), its HAT SubTransformer key (None outside HAT's genes), label, doc,
    choices, and the layer-count gene it follows (if per layer)."""
    from hwnas.encodings.hat_yaml import HAT_YAML_KEYS

    return [
        {
            "key": g.name,
            "hat_key": HAT_YAML_KEYS.get(g.name),
            "name": gene_label(g.name),
            "doc": g.doc or gene_label(g.name),
            "choices": ", ".join(str(c) for c in g.choices),
            "per_layer": gene_label(g.per_layer) if g.per_layer else None,
            "per_layer_key": g.per_layer,
        }
        for g in space.genes
    ]


def arch_line(arch: Arch) -> str:
    """One line, every gene in the arch's order: ``encoder embed dim: 640, ..., decoder ffn embed dim: [3072]``."""
    return ", ".join(f"{gene_label(name)}: {_value_text(value)}" for name, value in arch.genes.items())


def hat_lines(arch: Arch) -> list[str]:
    """The arch as LLM-PP's seed files write it: one ``key: value`` line per gene, in HAT's SubTransformer keys
    (``encoder-embed-dim-subtransformer: 640``, lists for per-layer genes); gene names outside HAT's genes."""
    from hwnas.encodings.hat_yaml import HAT_YAML_KEYS

    return [f"{HAT_YAML_KEYS.get(name, name)}: {_value_text(value)}" for name, value in arch.genes.items()]


def gflops_text(arch: Arch, space: SearchSpace) -> str:
    """Analytic GFLOPs of one forward pass with one decimal, as the LLM-PP paper's prompt shows them (``unknown``
    for a family the counters do not cover)."""
    from hwnas.metrics import analytic_metrics

    try:
        return f"{analytic_metrics(arch, space)['flops'] / 1e9:.1f}"
    except HwnasError:
        return "unknown"


def _si(value: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.2f}{suffix}"
    return f"{value:g}"


def efficiency_line(arch: Arch, space: SearchSpace) -> str:
    """Params and FLOPs from the analytic counters (``unknown`` for a family they do not cover)."""
    from hwnas.metrics import analytic_metrics

    try:
        metrics = analytic_metrics(arch, space)
    except HwnasError:
        return "unknown"
    parts = [f"{_si(metrics['params'])} parameters"]
    if "params_no_embed" in metrics:
        parts[0] += f" ({_si(metrics['params_no_embed'])} without embeddings)"
    parts.append(f"{_si(metrics['flops'])} FLOPs")
    return ", ".join(parts)


def space_variables(space: SearchSpace) -> dict[str, Any]:
    return {
        "space": {"name": space.name, "description": space.description},
        "hyperparameters": hyperparameters(space),
    }
