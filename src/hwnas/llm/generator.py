"""The LLM as a generator: it proposes archs of a space under constraints, to seed a search's first population.

Nothing the model writes is trusted. Its answer is scanned for JSON-like objects (one per line or spread over
lines; YAML flow syntax and a ``{"space", "genes"}`` wrapper are accepted) and for brace-less lines of
``key: value`` pairs (the HAT-style lines LLM-PP prompts show). Keys are matched to genes loosely (case, spaces,
hyphens, HAT's YAML keys); a scalar given for a per-layer gene is repeated over the layers; a decision with one
choice may be left out; keys that are not genes are ignored. Then every candidate is validated by the space
(invalid: dropped and counted), de-duplicated (counted), and checked against the constraints with the given
evaluators by the screening search uses too (:class:`hwnas.contracts.screening.ConstraintScreen`; violating or not
computable: dropped and counted). Rounds repeat, each asking for the archs still missing, at most
``max_rounds`` times.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import yaml

from hwnas.contracts.evaluator import Evaluator, evaluate_outcomes
from hwnas.contracts.screening import ConstraintScreen
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, HwnasError
from hwnas.core.objectives import Constraint
from hwnas.core.space import SearchSpace
from hwnas.llm.base import LLMError, LLMRunner, Request, Sampling
from hwnas.llm.prompts import PromptTemplate, load_template, space_variables


@dataclass
class GenerationStats:
    n_asked: int = 0  # archs requested from the model, over all rounds
    n_proposed: int = 0  # objects found in its answers
    n_invalid: int = 0  # unparsable objects, or archs the space rejects
    n_violating: int = 0  # valid archs that break a constraint
    n_duplicate: int = 0  # valid archs proposed before
    n_surplus: int = 0  # valid, feasible and new, but beyond k
    n_accepted: int = 0
    rounds: int = 0
    llm_failures: int = 0  # rounds whose request failed for good

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _objects(text: str) -> list[tuple[int, str]]:
    """Top-level ``{...}`` spans of ``text`` with their offsets, by brace matching. An object left open when a
    line starts with ``{`` (a model that stopped mid-object and began the next) or at the end of the text is
    returned cut short, so it is counted as invalid instead of swallowing the objects after it."""
    spans, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "{":
            if depth > 0 and text[text.rfind("\n", 0, i) + 1 : i].strip() == "":
                spans.append((start, text[start:i].rstrip()))  # the cut-off object
                depth = 0
            if depth == 0:
                start = i
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, text[start : i + 1]))
    if depth > 0:
        spans.append((start, text[start:]))
    return spans


_PAIR = re.compile(r"(?:^|,)\s*[A-Za-z_][\w \-]*:\s")
_LIST_MARKER = re.compile(r"^(?:[-*•]|\d+[.)]|\(\d+\))\s*")


def _candidates(text: str) -> list[str]:
    """Everything in an answer that looks like one arch, in order: braced objects, and brace-less lines of three or
    more ``key: value`` pairs (HAT-style ``encoder embed dim: 640, ...`` lines), read as flow mappings."""
    found = _objects(text)
    offset = 0
    for line in text.splitlines(keepends=True):
        if "{" not in line and "}" not in line and len(_PAIR.findall(line)) >= 3:
            body = _LIST_MARKER.sub("", line.strip()).rstrip(".,;")
            found.append((offset, "{" + body + "}"))
        offset += len(line)
    return [span for _, span in sorted(found)]


def _load(span: str) -> dict[str, Any] | None:
    for loader in (json.loads, yaml.safe_load):
        try:
            data = loader(span)
        except (ValueError, yaml.YAMLError):
            continue
        if isinstance(data, dict):
            genes = data.get("genes")
            return genes if isinstance(genes, dict) else data
    return None


def _key(name: object) -> str:
    key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    return key.removesuffix("_subtransformer").removesuffix("_all")


def _number(value: Any) -> Any:
    """``"640"`` -> 640 (models often quote numbers); anything else unchanged."""
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\.\d*\s*", value):
        return float(value)
    return value


def genes_from_mapping(data: dict[str, Any], space: SearchSpace) -> dict[str, Any]:
    """The space's genes found in a loosely keyed mapping (see the module docstring)."""
    by_key = {_key(k): v for k, v in data.items()}
    genes: dict[str, Any] = {}
    for gene in space.genes:
        if _key(gene.name) in by_key:
            value = by_key[_key(gene.name)]
            genes[gene.name] = [_number(v) for v in value] if isinstance(value, list) else _number(value)
        elif gene.per_layer is None and len(gene.choices) == 1:
            genes[gene.name] = gene.choices[0]  # a fixed decision (HAT's 6 encoder layers) may go unsaid
    for gene in space.genes:
        count = genes.get(gene.per_layer) if gene.per_layer else None
        if gene.name in genes and isinstance(count, int) and not isinstance(genes[gene.name], list):
            genes[gene.name] = [genes[gene.name]] * count
    return genes


def parse_proposals(text: str, space: SearchSpace) -> tuple[list[Arch], int]:
    """Valid archs of ``space`` in an answer, in order, and the number of objects that were not valid archs."""
    archs, invalid = [], 0
    for span in _candidates(text):
        data = _load(span)
        try:
            if data is None:
                raise ConfigError("not a mapping")
            archs.append(space.make(genes_from_mapping(data, space)))
        except (HwnasError, TypeError, ValueError):
            invalid += 1
    return archs, invalid


def _arch_json(arch: Arch) -> str:
    return json.dumps(arch.to_dict()["genes"], separators=(", ", ": "))


def _references(space: SearchSpace, evaluators: Sequence[Evaluator], metrics: Sequence[str]) -> list[dict[str, str]]:
    refs = []
    for arch in (space.smallest(), space.largest()):
        values = {k: v for e in evaluators for k, v in evaluate_outcomes(e, [arch])[0].metrics.items()}
        shown = ", ".join(f"{m}: {values[m]:.4g}" for m in metrics if m in values)
        refs.append({"arch": _arch_json(arch), "metrics": shown or "(no metrics)"})
    return refs


def _check_metrics(constraints: Sequence[Constraint], evaluators: Sequence[Evaluator]) -> None:
    available = {m for e in evaluators for m in e.metrics}
    for c in constraints:
        if c.metric not in available:
            raise ConfigError(
                f"constraint {str(c)!r}: metric {c.metric!r} is not computed; available: "
                f"{', '.join(sorted(available)) or '(none)'} (a latency constraint needs a latency model)"
            )


def propose_archs(
    runner: LLMRunner,
    space: SearchSpace,
    *,
    k: int,
    constraints: Sequence[Constraint] = (),
    evaluators: Sequence[Evaluator] = (),
    seed: int = 0,
    max_rounds: int = 5,
    temperature: float = 0.8,
    max_tokens: int = 1500,
    template: PromptTemplate | None = None,
) -> tuple[list[Arch], GenerationStats]:
    """Up to ``k`` distinct valid archs meeting every constraint (metrics from ``evaluators``, e.g. the analytic
    one for params/FLOPs, a latency-model one for latency), and the counts of what was dropped. Round r samples
    with seed ``seed + r``; one request per round."""
    if k < 1 or max_rounds < 1:
        raise ConfigError(f"k ({k}) and max_rounds ({max_rounds}) must be >= 1")
    _check_metrics(constraints, evaluators)
    template = template or load_template("llmgen-v1")
    base = _prompt_variables(space, constraints, evaluators)
    accepted: dict[str, Arch] = {}
    stats, screen = GenerationStats(), ConstraintScreen(constraints, evaluators, cheap_only=False)
    while len(accepted) < k and stats.rounds < max_rounds:
        need = k - len(accepted)
        variables = {**base, "k": need, "avoid": [_arch_json(a) for a in accepted.values()]}
        sampling = Sampling(temperature=temperature, max_tokens=max_tokens, seed=seed + stats.rounds)
        answer = runner.run([Request(template.render(variables), sampling)])[0]
        stats.rounds += 1
        stats.n_asked += need
        if isinstance(answer, LLMError):
            stats.llm_failures += 1
            continue
        for arch in _screen(answer.text, space, screen, accepted, stats):
            if len(accepted) < k:
                accepted[arch.arch_id] = arch
            else:
                stats.n_surplus += 1
    stats.n_accepted = len(accepted)
    return list(accepted.values()), stats


def _prompt_variables(
    space: SearchSpace, constraints: Sequence[Constraint], evaluators: Sequence[Evaluator]
) -> dict[str, Any]:
    """What every round's prompt shows: the space, the constraints, and the smallest and largest arch's metrics."""
    metric_names = list(dict.fromkeys(c.metric for c in constraints)) or ["params", "flops"]
    return {
        **space_variables(space),
        "constraints": [str(c) for c in constraints],
        "references": _references(space, evaluators, metric_names),
        "example": _arch_json(space.smallest()),
    }


def _screen(
    text: str, space: SearchSpace, screen: ConstraintScreen, accepted: dict[str, Arch], stats: GenerationStats
) -> list[Arch]:
    """The new, valid, feasible archs of one answer; counts the rest into ``stats``. An arch whose metrics cannot be
    computed cannot be shown to meet the constraints: it counts as violating."""
    archs, invalid = parse_proposals(text, space)
    stats.n_proposed += len(archs) + invalid
    stats.n_invalid += invalid
    fresh: dict[str, Arch] = {}
    for arch in archs:
        if arch.arch_id in accepted or arch.arch_id in fresh:
            stats.n_duplicate += 1
        else:
            fresh[arch.arch_id] = arch
    feasible = [arch for arch in fresh.values() if screen.verdict(arch) is True]
    stats.n_violating += len(fresh) - len(feasible)
    return feasible
