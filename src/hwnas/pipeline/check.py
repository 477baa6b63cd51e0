"""``hwnas pipeline CONFIG --dry-run``: check everything a run needs before any stage starts — the space, the
baselines, every corpus file (registered or the user's own), the test set, the latency inputs, a reused supernet,
the devices, the searches' executor and the run folder — and say what is missing or broken and how to fix it.

Nothing is trained, measured or downloaded; registered files are looked up (``HWNAS_DATA_DIR``, then the download
cache) and checked against the registry's sha256, so a corrupted copy fails here, not in the middle of a stage. A
full-scale config can so be checked on a laptop before it is sent to a GPU machine: a missing GPU is a warning
there, a missing or corrupted corpus file is an error. :func:`require_inputs` runs the same checks when a run
starts, before its run directory is created.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hwnas.core.errors import DataError, HwnasError
from hwnas.core.files import check_writable
from hwnas.data.verify import gunzipped_sha256
from hwnas.pipeline.config import USER_CORPUS_KEYS, PipelineConfig, expand_path, train_config

Status = Literal["ok", "warn", "missing", "invalid"]
FAILED: tuple[Status, ...] = ("missing", "invalid")  # statuses that stop a run (a warning does not)


@dataclass(frozen=True)
class Check:
    subject: str  # what was checked, e.g. "training.data.train_src"
    status: Status
    detail: str


def _guard(subject: str, fn: Callable[[], str]) -> Check:
    """Run one check; a domain error is a ``missing`` line with its message."""
    try:
        return Check(subject, "ok", fn())
    except HwnasError as exc:
        return Check(subject, "missing", str(exc))


def _user_file(subject: str, value: str) -> Check:
    path = Path(expand_path(value))
    if path.is_file():
        if path.suffix == ".gz" and gunzipped_sha256(path) is None:
            return Check(subject, "invalid", f"{value!r}: not a valid gzip file (truncated or corrupted?)")
        return Check(subject, "ok", str(path))
    unset = sorted(set(re.findall(r"\$\{?(\w+)", str(path))))
    if unset:
        return Check(subject, "missing", f"{value!r}: environment variable {', '.join(unset)} is not set")
    shown = "" if str(path) == value else f" (resolved to {str(path)!r})"
    return Check(subject, "missing", f"{value!r}: no such file{shown}")


def _registered_split(subject: str, corpus: str, split: str, src: str, tgt: str) -> list[Check]:
    """Each file of a registered corpus split, found locally or not (with the registry's fetch hint)."""
    from hwnas.data.corpus import corpus_files
    from hwnas.data.registry import get_dataset, locate, missing_message
    from hwnas.data.verify import check_path

    try:
        files = corpus_files(corpus, split=split, src=src, tgt=tgt)
        dataset = get_dataset(corpus)
    except HwnasError as exc:
        return [Check(subject, "missing", str(exc))]
    checks = []
    for relpath in files:
        entry = dataset.file(relpath)
        found = locate(dataset, entry)
        label = f"{subject} ({corpus}/{split}, {relpath})"
        if found is None:
            checks.append(Check(label, "missing", missing_message(dataset, entry)))
        elif check_path(entry, found) == "mismatch":
            fix = f"hwnas data fetch {dataset.name} --force" if entry.url else f"a good copy ({dataset.source})"
            detail = f"{found} is corrupted (sha256 differs from the registry's; `hwnas data verify`); get {fix}"
            checks.append(Check(label, "invalid", detail))
        else:
            checks.append(Check(label, "ok", str(found)))
    return checks


def _corpus_checks(config: PipelineConfig) -> list[Check]:
    data = train_config(config, run_dir=Path(config.run_dir), arch=None, length=config.supernet, quiet=True).data
    if data.corpus is None:
        return [_user_file(f"training.data.{key}", str(getattr(data, key))) for key in USER_CORPUS_KEYS]
    checks = _registered_split("training corpus", data.corpus, data.train_split, data.src_lang, data.tgt_lang)
    return checks + _registered_split("validation", data.corpus, data.valid_split, data.src_lang, data.tgt_lang)


def _test_checks(config: PipelineConfig) -> list[Check]:
    stage = config.evaluate
    data = train_config(config, run_dir=Path(config.run_dir), arch=None, length=config.supernet, quiet=True).data
    if stage.test_src is not None and stage.test_tgt is not None:
        return [_user_file("evaluate.test_src", stage.test_src), _user_file("evaluate.test_tgt", stage.test_tgt)]
    if stage.split is None:
        return [Check("test set", "ok", "the validation files (evaluate.split: null)")]
    corpus = stage.corpus or data.corpus
    assert corpus is not None  # a user corpus without evaluate.corpus / test files is refused by the config
    return _registered_split("test set", corpus, stage.split, data.src_lang, data.tgt_lang)


def _latency_checks(config: PipelineConfig) -> list[Check]:
    from hwnas.pipeline.latency_stages import given_latency_file
    from hwnas.spaces import get_space

    stage = config.latency
    if stage.source == "measure":
        return [Check("latency", "ok", f"measure {stage.archs} archs on {stage.device} ({stage.dtype})")]
    key = "dataset" if stage.source == "dataset" else "predictor_file"
    value = str(getattr(stage, key))
    space = get_space(config.space)
    return [_guard(f"latency.{key}", lambda: given_latency_file(value, key=key, space=space, device=stage.device))]


def _device_checks(config: PipelineConfig) -> list[Check]:
    import torch

    wanted = {"device": config.device, "latency.device": config.latency.device}
    checks = []
    for key, device in wanted.items():
        if device.startswith("cuda") and not torch.cuda.is_available():
            checks.append(Check(key, "warn", f"{device!r}: no CUDA GPU on this machine (the run needs one)"))
        else:
            checks.append(Check(key, "ok", device))
    return checks


def _executor_checks(config: PipelineConfig) -> list[Check]:
    """The searches' executor, when the config (or ``--executor``) names one: what it needs here (the ``ray``
    executor: Ray installed), so that a run does not stop at its search stage after hours of training."""
    if config.search.executor is None:
        return []
    from hwnas.contracts.executor import EXECUTORS, preflight_executor
    from hwnas.search.config_layers import merge_layers

    block = merge_layers([{"executor": config.search.executor}], lambda _: ())["executor"]
    name = block["name"]

    def preflight() -> str:
        preflight_executor(name, EXECUTORS.options(name, block["options"]))
        options = ", ".join(f"{k}={v}" for k, v in block["options"].items())
        return f"{name} ({options})" if options else name

    return [_guard("search.executor", preflight)]


def _run_dir_check(config: PipelineConfig) -> Check:
    import yaml

    from hwnas.pipeline.runner import CONFIG_FILE, run_identity

    try:
        check_writable(config.run_dir, what="folder", folder=True)
    except HwnasError as exc:
        return Check("run_dir", "invalid", str(exc))
    stored = Path(config.run_dir) / CONFIG_FILE
    if not stored.is_file():
        return Check("run_dir", "ok", f"{config.run_dir} (new run)")
    try:
        old = yaml.safe_load(stored.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        old = None
    if not isinstance(old, dict):
        return Check("run_dir", "invalid", f"{stored} is not the pipeline.yaml of a run; use another run_dir")
    before = run_identity(old)
    differing = [k for k, v in run_identity(config.model_dump(mode="json")).items() if before.get(k) != v]
    if differing:
        return Check("run_dir", "warn", f"{config.run_dir} holds a run with a different {differing[0]!r}: use --from")
    return Check("run_dir", "ok", f"{config.run_dir} (resumes the run there)")


def _space_checks(config: PipelineConfig) -> list[Check]:
    from hwnas.pipeline.baselines import baseline_archs
    from hwnas.spaces import get_space

    def space() -> str:
        found = get_space(config.space)
        return f"{found.name} (family {found.family}, {found.size():,} archs)"

    def family(name: str) -> Callable[[], str]:
        return lambda: f"{len(baseline_archs(name, get_space(config.space)))} archs"

    return [_guard("space", space)] + [_guard(f"baseline {name}", family(name)) for name in config.baselines]


def check_pipeline(config: PipelineConfig) -> list[Check]:
    """Every check, in the order of the stages that need them."""
    checks = _space_checks(config)
    if config.supernet.checkpoint is not None:
        checks.append(_user_file("supernet.checkpoint", config.supernet.checkpoint))
    checks += _corpus_checks(config) + _latency_checks(config) + _test_checks(config) + _device_checks(config)
    checks += _executor_checks(config)
    checks.append(_run_dir_check(config))
    return checks


def require_inputs(config: PipelineConfig) -> None:
    """Raise on the first input a run cannot start without (the dry-run's failures), so a run that would stop in
    its first stage stops before it creates its run directory."""
    failed = [c for c in check_pipeline(config) if c.status in FAILED]
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more: `hwnas pipeline CONFIG --dry-run` lists them)" if len(failed) > 1 else ""
        raise DataError(f"{first.subject}: {first.detail}{more}; nothing was run")
