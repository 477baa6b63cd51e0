"""Collection: rows appended as it goes in HAT's format, exact resume after an interruption, refusal to mix."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.data.tables import load_hat_latency_csv
from hwnas.hardware.collector import collect
from hwnas.hardware.dataset_files import read_latency_dataset, sidecar_path
from hwnas.hardware.protocols import protocol_for
from hwnas.hardware.sampling import arch_stream
from hwnas.hardware.settings import MeasureSettings


class Interrupted(Exception):
    pass


def _stop_after(rows: int):  # type: ignore[no-untyped-def]
    def on_row(done: int, total: int, measurement: object) -> None:
        if measurement is not None and done >= rows:
            raise Interrupted

    return on_row


def _ids(path: Path) -> list[str]:
    return [row["arch_id"] for row in read_latency_dataset(path).rows]


def test_rows_are_hat_csv_with_full_arch_and_provenance(
    tiny: SearchSpace, fast_settings: MeasureSettings, tmp_path: Path
) -> None:
    out = tmp_path / "lat.csv"
    summary = collect(tiny, settings=fast_settings, n=3, out=out, seed=5)
    assert (summary.rows, summary.measured, summary.skipped) == (3, 3, 0)
    table = load_hat_latency_csv(out)  # HAT's reader accepts the file as it is
    assert len(table) == 3 and (table.latency > 0).all()
    dataset = read_latency_dataset(out)
    expected = list(itertools.islice(arch_stream(tiny, "random", 5), 3))
    assert dataset.archs == expected
    assert dataset.estimator == "min"  # the arch's latency; HAT's columns keep HAT's trimmed mean
    assert dataset.latency_ms == pytest.approx(
        dataset.column("latency_min_encoder") + dataset.column("latency_min_decoder")
    )
    assert table.latency == pytest.approx(
        dataset.column("latency_mean_encoder") + dataset.column("latency_mean_decoder")
    )
    assert (dataset.column("contention") == 0.0).all() and (dataset.column("load_1m") == 0.0).all()
    from hwnas.hardware import load_latency_csv

    assert load_latency_csv(out).latency == pytest.approx(dataset.latency_ms)  # predictors fit the same target
    from hwnas.encodings.hat import hat_features

    assert table.features[1] == pytest.approx(hat_features(expected[1]))
    provenance = json.loads(sidecar_path(out).read_text())
    assert provenance["space"] == "tiny" and provenance["seed"] == 5 and provenance["sampler"] == "random"
    assert provenance["settings"]["threads"] == 1 and provenance["settings"]["runs"] == 3
    assert provenance["settings"]["estimator"] == "min" and provenance["trim_rule"] == "hat"
    assert provenance["sessions"][0]["busy_policy"] == {"max_load": 0.25, "on_busy": "wait", "max_wait_s": 300.0}
    assert provenance["device"]["cpu_model"] and provenance["sessions"][0]["rows_after"] == 3


def test_interrupted_collection_resumes_with_exactly_the_same_archs(
    tiny: SearchSpace, fast_settings: MeasureSettings, tmp_path: Path
) -> None:
    out = tmp_path / "lat.csv"
    with pytest.raises(Interrupted):
        collect(tiny, settings=fast_settings, n=5, out=out, on_row=_stop_after(2))
    assert len(_ids(out)) == 2  # every finished row survived the interruption
    with out.open("a", encoding="utf-8") as f:
        f.write("32.0,1.0,64.0,4.0,32.0")  # a torn row, as a kill in the middle of a write leaves it
    summary = collect(tiny, settings=fast_settings, n=5, out=out)
    assert (summary.rows, summary.measured, summary.skipped) == (5, 3, 2)
    expected = [a.arch_id for a in itertools.islice(arch_stream(tiny, "random", 0), 5)]
    assert _ids(out) == expected
    assert len(load_hat_latency_csv(out)) == 5
    sessions = json.loads(sidecar_path(out).read_text())["sessions"]
    assert [(s["rows_before"], s["rows_after"]) for s in sessions] == [(0, 2), (2, 5)]
    again = collect(tiny, settings=fast_settings, n=5, out=out)  # complete: nothing more to do
    assert again.measured == 0 and _ids(out) == expected


def test_resume_with_different_settings_is_refused(
    tiny: SearchSpace, fast_settings: MeasureSettings, tmp_path: Path
) -> None:
    out = tmp_path / "lat.csv"
    collect(tiny, settings=fast_settings, n=1, out=out)
    before = out.read_bytes()
    other = protocol_for(tiny).default_settings(tiny, threads=1, warmup=1, runs=4)
    with pytest.raises(ConfigError, match=r"settings\.runs=3, this run has 4"):
        collect(tiny, settings=other, n=2, out=out)
    with pytest.raises(ConfigError, match="sampler='random', this run has 'stratified'"):
        collect(tiny, settings=fast_settings, n=2, out=out, sampler="stratified")
    with pytest.raises(ConfigError, match="seed=0, this run has 1"):
        collect(tiny, settings=fast_settings, n=2, out=out, seed=1)
    assert out.read_bytes() == before


def test_csv_without_provenance_is_not_appended_to(
    tiny: SearchSpace, fast_settings: MeasureSettings, tmp_path: Path
) -> None:
    out = tmp_path / "foreign.csv"
    out.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="without its provenance sidecar"):
        collect(tiny, settings=fast_settings, n=1, out=out)
    with pytest.raises(ConfigError, match="sampler 'sobol' is unknown"):
        collect(tiny, settings=fast_settings, n=1, out=tmp_path / "new.csv", sampler="sobol")


def test_gpt_collection_has_forward_columns(tiny_gpt: SearchSpace, tmp_path: Path) -> None:
    settings = protocol_for(tiny_gpt).default_settings(tiny_gpt, threads=1, warmup=0, runs=2)
    out = tmp_path / "gpt.csv"
    collect(tiny_gpt, settings=settings, n=2, out=out)
    dataset = read_latency_dataset(out)
    assert len(dataset) == 2 and (dataset.latency_ms > 0).all()
    assert all(isinstance(a, Arch) and a.space == "tiny-gpt" for a in dataset.archs)
    assert {"params", "flops", "latency_mean", "latency_median"} <= set(dataset.rows[0])


def test_a_dataset_from_before_estimators_reads_as_the_trimmed_mean_and_is_not_extended(
    tiny: SearchSpace, fast_settings: MeasureSettings, tmp_path: Path
) -> None:
    out = tmp_path / "old.csv"
    collect(tiny, settings=fast_settings, n=2, out=out)
    sidecar = json.loads(sidecar_path(out).read_text())
    del sidecar["trim_rule"], sidecar["settings"]["estimator"]  # as hwnas wrote it before
    sidecar_path(out).write_text(json.dumps(sidecar))
    dataset = read_latency_dataset(out)
    mean = dataset.column("latency_mean_encoder") + dataset.column("latency_mean_decoder")
    assert dataset.estimator == "trimmed-mean" and dataset.latency_ms == pytest.approx(mean)
    from hwnas.hardware import load_latency_csv

    assert load_latency_csv(out).latency == pytest.approx(mean)
    with pytest.raises(ConfigError, match=r"older hwnas .* new --out"):
        collect(tiny, settings=fast_settings, n=3, out=out)


def test_the_shipped_dataset_is_labelled_with_the_estimator_it_holds() -> None:
    from hwnas.hardware.embedded import default_dataset

    shipped = default_dataset("hat-wmt14ende", "cpu")
    dataset = shipped.load()
    assert dataset.estimator == "trimmed-mean"  # collected before estimators: latency_mean_* is its target
    assert shipped.summary()["estimator"] == "trimmed-mean" and "trim_rule" not in shipped.provenance
    mean = dataset.column("latency_mean_encoder") + dataset.column("latency_mean_decoder")
    assert dataset.latency_ms == pytest.approx(mean)


def test_a_busy_machine_refuses_before_measuring_anything(
    tiny: SearchSpace, fast_settings: MeasureSettings, tmp_path: Path
) -> None:
    from hwnas.core.errors import MachineBusyError
    from hwnas.hardware.busy import BusyPolicy, LoadGuard
    from hwnas.hardware.load import MachineLoad

    class Busy:
        def cores(self) -> int:
            return 2

        def counters(self) -> None:
            return None

        def load_1m(self) -> float:
            return 6.2

    guard = LoadGuard(BusyPolicy(on_busy="refuse"), probe=Busy(), sleep=lambda _s: None)
    assert guard.too_busy(MachineLoad(cores=2, load_1m=6.2, others=None, window_s=0.0))
    out = tmp_path / "busy.csv"
    with pytest.raises(MachineBusyError, match=r"load average 6\.20"):
        collect(tiny, settings=fast_settings, n=2, out=out, guard=guard)
    assert not out.exists() and not sidecar_path(out).exists()
