from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.llm.llmpp import Demonstration, PromptContext
from hwnas.llm.prompts import arch_line, efficiency_line, hyperparameters, load_template, template_names
from hwnas.llm.seedarchs import get_task, load_seed_archs, task_examples
from hwnas.spaces import get_space

SPACE = get_space("hat-wmt14ende")


def _context(template: str = "llmpp-v1", examples: list | None = None) -> PromptContext:
    return PromptContext(
        template=load_template(template),
        space=SPACE,
        task=get_task("wmt14ende").variables(),
        examples=examples or [],
    )


def test_builtin_templates_are_versioned_files() -> None:
    assert {"llmpp-v1", "llmgen-v1"} <= set(template_names())
    template = load_template("llmpp-v1")
    assert template.describe() == {"name": "llmpp-v1", "sha256": template.sha256} and len(template.sha256) == 64


def test_renders_with_the_real_space_and_seed_archs(data_dir: Path) -> None:
    demos = [Demonstration(a.arch, a.valid_bleu) for a in load_seed_archs(123, "wmt14ende", "train")]
    query = load_seed_archs(123, "wmt14ende", "test")[0].arch
    examples, note = task_examples(get_task("wmt14ende"), 2, seed=0)
    assert note == "" and len(examples) == 2
    system, user = _context(examples=examples).messages(demos, query)
    assert system.role == "system" and user.role == "user"
    assert "valid BLEU" in system.content
    assert user.content.count("valid BLEU: ") == 10
    assert f"valid BLEU: {demos[0].value:.2f}" in user.content
    assert arch_line(query) in user.content and user.content.index(arch_line(query)) > user.content.index("Model 10")
    assert efficiency_line(query, SPACE) in user.content
    assert examples[0]["source"] in user.content and "English -> German" in user.content
    assert "Answer with one number only" in user.content
    for h in hyperparameters(SPACE):
        assert f"- {h['name']}: " in user.content


def test_examples_are_deterministic_per_seed(data_dir: Path) -> None:
    task = get_task("wmt19ende")
    assert task_examples(task, 3, seed=1) == task_examples(task, 3, seed=1)
    assert task_examples(task, 3, seed=1) != task_examples(task, 3, seed=2)


def test_renders_without_a_corpus_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HWNAS_DATA_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path / "cache"))
    examples, note = task_examples(get_task("wmt14enfr"), 3, seed=0)
    assert examples == [] and "newstest2014" in note and "not available" in note
    rng = np.random.default_rng(0)
    demos = [Demonstration(SPACE.sample(rng), 25.0)]
    _, user = _context().messages(demos, SPACE.sample(rng))
    assert "sentence pairs" not in user.content and "valid BLEU: 25.00" in user.content


def test_arch_and_efficiency_lines() -> None:
    arch = SPACE.smallest()
    line = arch_line(arch)
    assert line.startswith("encoder embed dim: 512, encoder layer num: 6, encoder ffn embed dim: [1024, 1024")
    assert "decoder arbitrary ende attn: [-1]" in line
    assert efficiency_line(arch, SPACE).endswith("FLOPs") and "parameters" in efficiency_line(arch, SPACE)


def test_strict_undefined_catches_a_missing_variable(tmp_path: Path) -> None:
    path = tmp_path / "mine-v1.j2"
    path.write_text("{% block user %}Predict {{ metric }} of {{ query.arch }} in {{ units }}.{% endblock %}")
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError, match="'units' is undefined"):
        _context(str(path)).messages([], SPACE.sample(rng))


def test_a_user_template_without_blocks_is_one_user_message(tmp_path: Path) -> None:
    path = tmp_path / "plain.j2"
    path.write_text("{{ metric }} of {{ query.arch }}?")
    arch = SPACE.smallest()
    [message] = _context(str(path)).messages([], arch)
    assert message.role == "user" and message.content == f"valid BLEU of {arch_line(arch)}?"


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("llmpp-v99", UnknownNameError, "unknown prompt template"),
        ("missing/file.j2", ConfigError, "does not exist"),
    ],
)
def test_bad_template_names(name: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        load_template(name)


def test_template_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.j2"
    path.write_text("line one\n{% block user %}{{ metric }{% endblock %}")
    with pytest.raises(ConfigError, match="line 2"):
        _context(str(path)).messages([], SPACE.smallest())
