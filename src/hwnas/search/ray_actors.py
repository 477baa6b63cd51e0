"""The ``ray`` executor's actors: what each asks the cluster for (its options: CPUs, GPUs, a device of a pool, more
resources; when to give up placing it) and the actor body that builds the run's evaluators once and keeps them.
:mod:`hwnas.search.ray_executor` starts and feeds them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator, model_validator

from hwnas.contracts.evaluator import Evaluator, Outcome
from hwnas.contracts.executor import EvaluationBatch, EvaluatorSpec
from hwnas.contracts.options import Options
from hwnas.contracts.plugins import PLUGINS_ENV
from hwnas.hardware.ray_cluster import check_devices, device_resource, split_devices
from hwnas.search.evaluator import spec_evaluator
from hwnas.search.executors import evaluate_chain
from hwnas.search.process_pool import THREAD_VARIABLES, limit_torch_threads


class RayOptions(Options):
    address: str | None = Field(
        None,
        description="Ray cluster: None joins the local one or starts it in this process, 'auto', HOST:PORT or "
        "ray://HOST:PORT",
    )
    actors: int | None = Field(
        None, ge=1, description="evaluation actors = batches at once (default: 2, or one per device)"
    )
    devices: list[str] = Field(
        default_factory=list,
        description="device pool, e.g. rpi4,cuda-h100: actor k holds resource device:<devices[k mod n]> (one unit)",
    )
    max_retries: int = Field(
        3, ge=0, le=100, description="retries of an arch whose actor died (its batch re-run in halves), then it fails"
    )
    placement_timeout: float = Field(
        300.0,
        gt=0,
        description="seconds a new actor may wait to be placed and started (its node gone, its resources taken), "
        "then it is given up; the run stops when no actor is left",
    )
    num_cpus: float | None = Field(
        None, ge=0, description="CPUs each actor holds (default 1; 0 with devices: the device is what it holds)"
    )
    num_gpus: float = Field(0.0, ge=0, description="GPUs each actor holds")
    resources: dict[str, float] = Field(
        default_factory=dict, description="more Ray resources each actor holds: NAME=AMOUNT,... (e.g. accel=1)"
    )
    threads: int = Field(1, ge=1, description="BLAS / torch threads per actor")

    @field_validator("devices", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_devices(value)

    @field_validator("resources", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        return _resource_pairs(value)

    @model_validator(mode="after")
    def _one_actor_per_device(self) -> RayOptions:
        check_devices(self.devices, what="executor 'ray': option 'devices'")
        if self.devices and self.actors is not None and self.actors != len(self.devices):
            raise ValueError(f"with {len(self.devices)} devices there is one actor per device; leave actors unset")
        clash = sorted(k for k in self.resources if k in {device_resource(d) for d in self.devices})
        if clash:
            raise ValueError(f"resource {clash[0]!r} is a device of 'devices'; name it there only")
        return self

    @property
    def actor_count(self) -> int:
        return len(self.devices) or self.actors or 2


def _resource_pairs(value: Any) -> Any:
    """``"accel=1,device:rpi4=1"`` (a flag's text) as a mapping; a mapping as given."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, amount = item.rpartition("=") if "=" in item else (item, "", "1")
        pairs[name.strip()] = amount.strip()
    return pairs


class EvaluationActor:
    """The actor body, in a Ray worker process: the run's evaluators, built from their specs on first use, kept."""

    def __init__(self, specs: Sequence[EvaluatorSpec], slot: int, threads: int, plugins: str | None) -> None:
        for variable in THREAD_VARIABLES:
            os.environ[variable] = str(threads)
        if plugins:  # the driver's plugins, so plugin evaluators exist here too (their modules must be importable)
            os.environ[PLUGINS_ENV] = plugins
        self.specs = {spec.name: spec for spec in specs}
        self.slot, self.threads = slot, threads
        self.instances: dict[str, Evaluator] = {}

    def ready(self) -> None:
        """Answers once the actor is placed and started (the executor gives it batches from then on)."""

    def evaluate(self, batch: EvaluationBatch) -> list[Outcome]:
        evaluators = [self._instance(name) for name in batch.evaluators]
        return evaluate_chain(evaluators, batch.archs, batch.known)

    def _instance(self, name: str) -> Evaluator:
        if name not in self.instances:
            limit_torch_threads(self.threads)
            spec = self.specs[name]
            self.instances[name] = spec_evaluator(spec, self.slot % spec.replicas)
        return self.instances[name]


def asked(options: RayOptions, slot: int) -> str:
    """What actor ``slot`` asks for, as ``CPU=1, device:rpi4=1`` (for messages)."""
    return ", ".join(f"{name}={amount:g}" for name, amount in actor_request(options, slot).items() if amount > 0)


def actor_request(options: RayOptions, slot: int) -> dict[str, float]:
    """What actor ``slot`` holds: CPUs (none by default on a device: the device is what it holds), GPUs, the extra
    resources, and its device's whole unit."""
    cpus = options.num_cpus if options.num_cpus is not None else (0.0 if options.devices else 1.0)
    request = {"CPU": cpus, "GPU": options.num_gpus, **options.resources}
    if options.devices:
        request[device_resource(options.devices[slot % len(options.devices)])] = 1.0
    return request
