"""The evaluator of the Ray executor tests, from a plugin module (``HWNAS_PLUGINS=hwnas_test_ray_plugin``) so that
Ray actors build it too (the executor hands its actors the driver's ``HWNAS_PLUGINS``; the test cluster's nodes
have this folder on their ``PYTHONPATH``).

``crashy``: ``width`` of each arch (a known function of its genes) and a pseudo-random ``score`` read from its
arch_id. Options: ``log`` (a file): one line ``node_id pid device arch_id`` per arch it evaluated, so a test sees
where each arch ran; ``victim`` (an arch_id) and ``marker`` (a file): a batch holding the victim kills its own worker
process (SIGKILL: no Python cleanup, as a crash or the OOM killer) when the marker does not exist yet, writing the
pid into the marker first, so the retry on another actor succeeds; ``always``: kill every time (a poison arch);
``exit``: end the process with ``os._exit(3)`` instead (as a C extension aborting); ``victim: "*"`` is every arch (a
run that cannot finish: the failing cell of the sweep tests); ``delay``: seconds each batch takes (so that every actor
has started before a short run is over: the executor gives batches only to actors that have started).

``Mortal``: a device measurer's stand-in whose ``measure`` ends its process while fewer than ``deaths`` deaths are
counted in ``file`` (then it answers its pid), for the tests of replacing a device's actor.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from hwnas.contracts.evaluator import EVALUATORS
from hwnas.contracts.options import Options
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace


class CrashyOptions(Options):
    log: str | None = None
    victim: str | None = None
    marker: str | None = None
    always: bool = False
    exit: bool = False
    delay: float = 0.0
    device: str = "cpu"


def _node_id() -> str:
    try:
        import ray
    except ImportError:
        return "local"
    return str(ray.get_runtime_context().get_node_id()) if ray.is_initialized() else "local"


class Crashy:
    metrics: tuple[str, ...] = ("width", "score")
    cheap = False

    def __init__(self, space: SearchSpace, options: CrashyOptions) -> None:
        self.options = options

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        options = self.options
        if options.victim is not None and any(options.victim in ("*", a.arch_id) for a in archs):
            marker = Path(options.marker) if options.marker else None
            if options.always or (marker is not None and not marker.exists()):
                if marker is not None:
                    marker.write_text(str(os.getpid()), encoding="utf-8")
                if options.exit:
                    os._exit(3)
                os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(options.delay)
        if options.log:
            where = f"{_node_id()} {os.getpid()} {options.device}"
            with open(options.log, "a", encoding="utf-8") as handle:
                handle.writelines(f"{where} {a.arch_id}\n" for a in archs)
        return [{"width": _width(a), "score": int(a.arch_id[:8], 16) / 16**8} for a in archs]


def _width(arch: Arch) -> float:
    return float(sum(arch["encoder_ffn_embed_dim"]) + sum(arch["decoder_ffn_embed_dim"]))  # type: ignore[arg-type]


class Mortal:
    """See the module doc."""

    def __init__(self, file: str, deaths: int) -> None:
        self.file, self.deaths = Path(file), deaths

    def where(self) -> dict[str, int]:
        return {"pid": os.getpid()}

    def measure(self, arch: object) -> int:
        died = int(self.file.read_text()) if self.file.exists() else 0
        if died < self.deaths:
            self.file.write_text(str(died + 1))
            os._exit(3)
        return os.getpid()


EVALUATORS.register(
    "crashy",
    Crashy,
    options=CrashyOptions,
    summary="width and score; kills its worker on a victim arch (a test plugin)",
)
