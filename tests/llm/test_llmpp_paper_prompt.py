"""The paper's LLM-PP prompt (``llmpp-paper``): one user message in the format of the authors' scorer, the seed archs
written exactly as the seed files write them, and GFLOPs that agree with the files' own ``total_flops``."""

from __future__ import annotations

from pathlib import Path

from hwnas.data.tables import load_llmpp_seedarchs
from hwnas.llm.llmpp import Demonstration, PromptContext
from hwnas.llm.prompts import hyperparameters, load_template, template_names
from hwnas.llm.seedarchs import get_task, load_seed_archs, task_examples
from hwnas.spaces import get_space

SPACE = get_space("hat-wmt14ende")


def test_the_paper_prompt_is_one_user_message_in_the_scorer_format(data_dir: Path) -> None:
    assert "llmpp-paper" in template_names()
    train = load_seed_archs(123, "wmt14ende", "train")
    demos = [Demonstration(a.arch, a.valid_bleu) for a in train]
    query = load_seed_archs(123, "wmt14ende", "test")[0].arch
    examples, _ = task_examples(get_task("wmt14ende"), 5, seed=0)
    context = PromptContext(
        template=load_template("llmpp-paper"), space=SPACE, task=get_task("wmt14ende").variables(), examples=examples
    )
    [message] = context.messages(demos, query)
    assert message.role == "user"
    text = message.content
    assert text.count("\nGFLOPS: ") == 11 and text.count("\nBLEU: ") == 10 and text.endswith("\nBLEU:")
    assert [f"Example {i}:" in text for i in range(1, 6)] == [True] * 5 and "Example 6:" not in text
    for h in hyperparameters(SPACE):
        assert f"'{h['hat_key']}': " in text
    records = load_llmpp_seedarchs(123, "wmt14ende", "train")
    for record, demo in zip(records, train, strict=True):
        block = "\n".join(record["scratch"]["arch_info"])  # the seed file's own lines, verbatim
        gflops = record["scratch"]["total_flops"] / 1e9
        assert f"{block}\nGFLOPS: {gflops:.1f}\nBLEU: {demo.valid_bleu:.2f}" in text
