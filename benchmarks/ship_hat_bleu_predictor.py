"""Ship the BLEU predictor behind the bundled HAT problem, and write that problem.

The only public BLEU measurements of HAT's WMT'14 En-De space that come from training each arch (not from a
supernet's shared weights) are the 30 SubTransformers LLM-PP trained from scratch (../shared/data/llmpp_seedarchs;
the 30 archs are the same in every split folder). This script scores each candidate predictor by leave-one-out
over those 30 (MAE in BLEU, Kendall tau), fits the best on all 30 and writes it to
src/hwnas/evaluate/shipped/hat-wmt14ende.bleu_pred.npz with a .json beside it (the scores of every candidate, the
data's provenance). Then it writes src/hwnas/studies/problems/hat-wmt14ende-bleu-latency-cpu.yaml: predicted BLEU
against the latency predicted by the shipped CPU latency predictor, with bounds = the lowest and highest
prediction of each over the space's smallest and largest archs and 5,000 random ones (seed 0).

    python benchmarks/ship_hat_bleu_predictor.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml
from scipy.stats import kendalltau

from hwnas.core.files import write_json_atomic
from hwnas.evaluate.predicted import SHIPPED
from hwnas.hardware.evaluators import make_latency_model_evaluator
from hwnas.llm.seedarchs import load_seed_archs
from hwnas.predictors.workflow import fit_predictor
from hwnas.spaces import get_space
from hwnas.studies.problem import BUILTIN, load_problem

ROOT = Path(__file__).resolve().parent.parent
SPACE = "hat-wmt14ende"
METRIC = "bleu_pred"
# the project's regressors that fit 30 points in seconds (its MLPs take minutes per leave-one-out fit on 2 cores)
CANDIDATES: dict[str, dict[str, object]] = {
    "gbdt": {},
    "cost-l2": {},
}
LATENCY_DEVICE = "cpu/AMD EPYC"
PROBLEM = "hat-wmt14ende-bleu-latency-cpu"


def main() -> None:
    space = get_space(SPACE)
    seeds = load_seed_archs(123, "wmt14ende", "train") + load_seed_archs(123, "wmt14ende", "test")
    archs = [s.arch for s in seeds]
    bleu = np.array([s.valid_bleu for s in seeds])
    scores = {}
    for name, options in CANDIDATES.items():
        predicted = np.empty(len(archs))
        for i in range(len(archs)):
            keep = [j for j in range(len(archs)) if j != i]
            model = fit_predictor(name, [archs[j] for j in keep], bleu[keep], space=space, options=options)
            predicted[i] = model.predict([archs[i]])[0]
        tau = float(kendalltau(bleu, predicted).statistic)
        scores[name] = {"loo_mae_bleu": float(np.abs(predicted - bleu).mean()), "loo_kendall_tau": tau}
        print(f"{name}: leave-one-out MAE {scores[name]['loo_mae_bleu']:.3f} BLEU, Kendall tau {tau:.3f}")
    best = min(scores, key=lambda n: scores[n]["loo_mae_bleu"])
    model = fit_predictor(best, archs, bleu, space=space, options=CANDIDATES[best])
    SHIPPED.mkdir(parents=True, exist_ok=True)
    target = SHIPPED / f"{SPACE}.{METRIC}.npz"
    model.save(target)
    write_json_atomic(
        target.with_suffix(".json"),
        {
            "space": SPACE,
            "metric": METRIC,
            "predictor": best,
            "target": "valid_BLEU of each arch trained from scratch (WMT'14 En-De)",
            "archs": len(archs),
            "data": "llmpp_seedarchs 123/wmt14ende train.jsonl + test.jsonl (UBC-NLP/llmas, MIT); "
            "see ../shared/data/llmpp_seedarchs/README.md",
            "candidates": scores,
            "chosen_by": "lowest leave-one-out MAE",
            "written_by": "benchmarks/ship_hat_bleu_predictor.py",
        },
    )
    print(f"shipped {best} as {target.relative_to(ROOT)}")
    write_problem(space, model)


def write_problem(space, model) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    probe = [space.smallest(), space.largest(), *(space.sample(rng) for _ in range(5000))]
    predicted_bleu = model.predict(probe)
    latency = make_latency_model_evaluator(space, device=LATENCY_DEVICE)
    predicted_latency = np.array([m["latency"] for m in latency.evaluate(probe)])
    problem = {
        "space": SPACE,
        "description": "HAT WMT'14 En-De: predicted BLEU against predicted CPU latency (shipped AMD EPYC predictor)",
        "objectives": [f"{METRIC}:max", "latency:min"],
        "evaluators": [
            {"name": "accuracy-model", "options": {}},
            {"name": "latency-model", "options": {"device": LATENCY_DEVICE}},
        ],
        "bounds": {
            METRIC: [round(float(predicted_bleu.max()), 2), round(float(predicted_bleu.min()), 2)],
            "latency": [round(float(predicted_latency.min()), 1), round(float(predicted_latency.max()), 1)],
        },
        "reference": [1.1, 1.1],
        "provenance": "bounds: highest and lowest prediction over the smallest, the largest and 5,000 random archs "
        "(seed 0), written by benchmarks/ship_hat_bleu_predictor.py",
    }
    path = BUILTIN / f"{PROBLEM}.yaml"
    path.write_text(yaml.safe_dump(problem, sort_keys=False, width=120), encoding="utf-8")
    load_problem(PROBLEM)  # it reads back
    print(f"wrote {path.relative_to(ROOT)}: bounds {json.dumps(problem['bounds'])}")


if __name__ == "__main__":
    main()
