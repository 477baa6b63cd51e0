"""The few-shot device GNN on a synthetic NB201 table (no data folder needed): deterministic for a seed, adapt makes
a new model and leaves the pretrained one alone, the saved state predicts identically, one sample is enough to
adapt, the target cannot be predicted before adapting, and unmeasured (NaN) latencies are skipped."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.encodings.graph import to_graph
from hwnas.fewshot.gnn import DeviceGnn, GnnOptions, _encoder
from hwnas.spaces import get_space

TINY = GnnOptions(hidden=16, layers=1, pretrain_archs=24, pretrain_epochs=2, batch_size=12, adapt_steps=5)
SOURCES = ("dev_a", "dev_b", "dev_c")


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    """40 NB201 archs, latency = a per-device cost per (edge, op) plus noise, on three devices."""
    space = get_space("nb201")
    rng = np.random.default_rng(0)
    archs = list(dict.fromkeys(space.sample(rng) for _ in range(60)))[:40]
    genes = [g for g in space.genes if len(g.choices) > 1]
    onehot = np.array([[float(a[g.name] == c) for g in genes for c in g.choices] for a in archs])
    cost = rng.uniform(0.1, 2.0, size=(onehot.shape[1], len(SOURCES)))
    latency = 1.0 + onehot @ cost + rng.normal(0, 0.05, size=(len(archs), len(SOURCES)))
    return space, archs, latency


def _pretrain(table, seed: int = 0, **options):  # type: ignore[no-untyped-def]
    space, archs, latency = table
    return DeviceGnn.pretrain(space, archs, latency, sources=SOURCES, seed=seed,
                              options=TINY.model_copy(update=options))  # fmt: skip


def test_the_same_seed_gives_identical_predictions_after_pretrain_and_adapt(table) -> None:  # type: ignore[no-untyped-def]
    _, archs, latency = table
    one, two = _pretrain(table, seed=3), _pretrain(table, seed=3)
    assert np.array_equal(one.predict(archs, "dev_b"), two.predict(archs, "dev_b"))
    new = latency[:, 0] ** 2
    a, b = one.adapt(archs[:8], new[:8], seed=1), two.adapt(archs[:8], new[:8], seed=1)
    assert np.array_equal(a.predict(archs), b.predict(archs))
    other = _pretrain(table, seed=4)
    assert not np.array_equal(one.predict(archs, "dev_b"), other.predict(archs, "dev_b"))


def test_adapt_returns_a_new_model_and_leaves_the_pretrained_one_unchanged(table) -> None:  # type: ignore[no-untyped-def]
    _, archs, latency = table
    model = _pretrain(table)
    before_header, before = model.state()
    sources_before = {d: model.predict(archs, d) for d in SOURCES}
    adapted = model.adapt(archs[:10], latency[:10, 1] * np.linspace(1, 2, 10), seed=0)
    assert adapted is not model and adapted.adapted and not model.adapted
    after_header, after = model.state()
    assert after_header == before_header
    assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)
    assert all(np.array_equal(model.predict(archs, d), sources_before[d]) for d in SOURCES)
    with pytest.raises(ConfigError, match="adapt"):
        model.predict(archs)
    # fine-tuning moves the target's row of the embedding table only (the shared weights may move too)
    emb_before = before["net.hw_embed.weight"]
    emb_after = adapted.state()[1]["net.hw_embed.weight"]
    assert np.array_equal(emb_before[: len(SOURCES)], emb_after[: len(SOURCES)])


def test_state_round_trip_predicts_identically_and_is_plain_json_and_numpy(table) -> None:  # type: ignore[no-untyped-def]
    _, archs, latency = table
    adapted = _pretrain(table).adapt(archs[5:25], latency[5:25, 2] + 0.3, seed=2)
    header, arrays = adapted.state()
    header = json.loads(json.dumps(header))
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in arrays.values())
    loaded = DeviceGnn.from_state(header, {k: v.copy() for k, v in arrays.items()})
    assert np.array_equal(loaded.predict(archs), adapted.predict(archs))
    assert np.array_equal(loaded.predict(archs, "dev_a"), adapted.predict(archs, "dev_a"))
    assert loaded.adapted_from == adapted.adapted_from and loaded.sources == SOURCES
    # a loaded pretrained model adapts like the original
    pre_header, pre_arrays = _pretrain(table).state()
    again = DeviceGnn.from_state(pre_header, pre_arrays).adapt(archs[:6], latency[:6, 0], seed=0)
    assert np.array_equal(
        again.predict(archs), _pretrain(table).adapt(archs[:6], latency[:6, 0], seed=0).predict(archs)
    )


def test_one_sample_adapts_to_a_copy_of_the_first_source_and_bad_input_is_refused(table) -> None:  # type: ignore[no-untyped-def]
    _, archs, latency = table
    model = _pretrain(table)
    single = model.adapt(archs[:1], latency[:1, 2], seed=0)
    assert single.adapted_from == SOURCES[0]
    assert np.array_equal(single.predict(archs), model.predict(archs, SOURCES[0]))
    with pytest.raises(ConfigError):
        model.adapt([], np.zeros(0), seed=0)
    with pytest.raises(ConfigError):
        model.adapt(archs[:3], np.array([1.0, np.nan, 2.0]), seed=0)
    with pytest.raises(UnknownNameError):
        model.predict(archs, "no_such_device")
    with pytest.raises(ValidationError):
        GnnOptions(hidden=0)


def test_adapt_picks_the_source_that_ranks_the_samples_best(table) -> None:  # type: ignore[no-untyped-def]
    _, archs, _ = table
    model = _pretrain(table, adapt_steps=0)
    scores = model.predict(archs[:12], "dev_c")
    assert model.adapt(archs[:12], np.exp(scores), seed=0).adapted_from == "dev_c"


def test_unmeasured_nan_latencies_are_skipped(table) -> None:  # type: ignore[no-untyped-def]
    space, archs, latency = table
    holes = latency.copy()
    gone = np.array([3, 7, 11, 19])
    holes[gone, :] = np.nan
    keep = np.setdiff1d(np.arange(len(archs)), gone)
    options = TINY.model_copy(update={"pretrain_archs": 100})
    with_holes = DeviceGnn.pretrain(space, archs, holes, sources=SOURCES, seed=0, options=options)
    without = DeviceGnn.pretrain(space, [archs[i] for i in keep], latency[keep], sources=SOURCES, seed=0,
                                 options=options)  # fmt: skip
    assert np.array_equal(with_holes.predict(archs, "dev_a"), without.predict(archs, "dev_a"))
    ragged = latency.copy()
    ragged[::2, 1] = np.nan  # a HAT-style unaligned table: dev_b measured on half the archs
    assert np.all(np.isfinite(DeviceGnn.pretrain(space, archs, ragged, sources=SOURCES, seed=0, options=TINY)
                              .predict(archs, "dev_b")))  # fmt: skip
    ragged[1:, 2] = np.nan
    with pytest.raises(ConfigError, match="dev_c"):
        DeviceGnn.pretrain(space, archs, ragged, sources=SOURCES, seed=0, options=TINY)


@pytest.mark.parametrize("name", ["nb201", "fbnet"])
def test_the_fast_encoding_agrees_with_the_family_graph(name: str) -> None:
    space = get_space(name)
    rng = np.random.default_rng(1)
    archs = [space.sample(rng) for _ in range(20)]
    batch = _encoder(space, use_counts=False).encode(archs)
    for arch, ops in zip(archs, batch.ops, strict=True):
        adjacency, onehot, _ = to_graph(arch, space)
        assert ops.tolist() == onehot.argmax(axis=1).tolist()
        assert np.array_equal(batch.adjacency, adjacency)
