"""The sections that README.md and docs/*.md show between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``
markers, each rendered from the committed benchmark JSON files (a figure in the docs is never typed by hand).

A block's NAME is a key of :data:`BLOCKS`; a section is one function returning Markdown lines. A new figure in the
docs is a new function here and a marker pair where it should appear.
"""

from __future__ import annotations

from collections.abc import Callable

from rendering import (
    bench,
    fewshot,
    hat,
    hybrid,
    llm,
    lm_ranker,
    lm_searcher,
    mo_search,
    predictors,
    quickstart,
    repeatability,
    scaleout,
)

Section = Callable[[], list[str]]


def _readme() -> list[str]:
    return [
        *hat.multi30k(),
        *hat.throughput(),
        *predictors.latency_predictors(),
        *repeatability.repeatability(),
        *llm.llm_pp(),
        *hybrid.hybrid_search(),
    ]


BLOCKS: dict[str, Section] = {
    "readme": _readme,
    "llm-backends": llm.llm_backends,
    "llm-distill": llm.llm_distill,
    "hybrid-runs": hybrid.hybrid_history,
    "quickstart-times": quickstart.quickstart_times,
    "bench-surrogates": bench.bench_surrogates,
    "bench-surrogates-summary": bench.bench_surrogates_summary,
    "bench-shipped-devices": bench.bench_shipped_devices,
    "mo-search": mo_search.mo_search,
    "mo-search-bo": mo_search.mo_search_bo,
    "mo-search-summary": mo_search.mo_search_summary,
    "fewshot": fewshot.fewshot,
    "fewshot-summary": fewshot.fewshot_summary,
    "fewshot-samplers": fewshot.fewshot_samplers,
    "lm-searcher": lm_searcher.lm_searcher,
    "lm-searcher-summary": lm_searcher.lm_searcher_summary,
    "lm-ranker": lm_ranker.lm_ranker,
    "scaleout": scaleout.scaleout,
}
