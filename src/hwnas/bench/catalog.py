"""What the benchmark answers and where each answer lives in HW-GPT-Bench's table: for every (metric, device), the
column holding the value, the column holding the spread of its repeated measurements (if any) and the unit.

Read with ``hwgptbench/README.md`` in the data folder (``HWNAS_DATA_DIR``; the data's own notes); the choices made here:

- ``latency`` (ms): ``lat_ms_<device>_mean``, one forward pass of a ``B x 1024`` random-token batch, B = 8 / 4 / 1 on
  scale s / m / l (so latencies do not compare across scales); spread ``lat_ms_<device>_std`` over 10 repeats
  (cpu_amd_7513 on scale s ran once: no spread).
- ``energy`` (mWh): on GPUs ``en_mWh_<gpu>_mean_excl_first`` (the first of 50 repeats is a warm-up that the README
  flags as an outlier; a batch of 8 x 1024 on EVERY scale), spread ``en_mWh_<gpu>_std`` (over all 50 repeats, the
  only spread recorded); on CPUs ``en_mWh_<cpu>_mean`` (codecarbon, 10 repeats, the latency's batch), spread
  ``en_mWh_<cpu>_std`` (all zero for cpu_amd_7513 on scale s, which ran once: treated as no spread).
  cpu_p100host has no energy (its codecarbon readings were all zero).
- ``power`` (W): ``power_W_<gpu>_mean``, the mean sampled board power during the energy runs; no spread recorded.
- ``memory`` (MB): ``mem_MB_bf16_a100`` (device ``a100``) and ``mem_MB_fp16_rtx2080`` (device ``rtx2080``),
  ``torch.cuda.memory_allocated()`` after a no-grad forward pass of the latency's batch; one reading, no spread.
- ``perplexity`` / ``accuracy``: ``ppl_owt`` / ``acc_owt`` (weight-sharing supernet on an OpenWebText held-out
  split; a fraction of the next tokens for accuracy); every arch on scale s, part of them on m and l (empty cells).
- ``params`` / ``flops``: not read from the table but counted (:func:`hwnas.metrics.analytic_metrics`, the gpt
  family's HW-GPT-Bench convention), exact for every arch. FLOPs are those of ONE 1024-token sequence: the table's
  ``flops_ds`` counts the latency's batch (8 / 4 / 1 sequences), which would make scales incomparable.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hwnas.core.errors import UnknownNameError

METRICS = ("perplexity", "accuracy", "latency", "energy", "power", "memory", "params", "flops")
ANALYTIC_METRICS = ("params", "flops")
QUALITY_METRICS = ("perplexity", "accuracy")
DEVICE_FREE_METRICS = QUALITY_METRICS + ANALYTIC_METRICS
UNITS = {
    "perplexity": "perplexity",
    "accuracy": "fraction",
    "latency": "ms",
    "energy": "mWh",
    "power": "W",
    "memory": "MB",
    "params": "parameters",
    "flops": "FLOPs per 1024-token sequence",
}
GPUS = ("a100", "a40", "h100", "rtx2080", "rtx3080", "a6000", "v100", "P100")
CPUS = ("cpu_xeon_silver", "cpu_xeon_gold", "cpu_amd_7502", "cpu_amd_7513", "cpu_amd_7452", "cpu_p100host")
TABLE_DEVICES = GPUS + CPUS
MEMORY_COLUMNS = {"a100": "mem_MB_bf16_a100", "rtx2080": "mem_MB_fp16_rtx2080"}
QUALITY_COLUMNS = {"perplexity": "ppl_owt", "accuracy": "acc_owt"}


@dataclass(frozen=True)
class Column:
    """Where one (metric, device)'s values are: ``mean`` the value's column, ``std`` its repeats' spread (or None)."""

    metric: str
    device: str | None
    mean: str
    std: str | None

    @property
    def unit(self) -> str:
        return UNITS[self.metric]


def check_metric(metric: str) -> None:
    """An unknown metric is an error naming every metric the benchmark knows."""
    if metric not in METRICS:
        raise UnknownNameError("benchmark metric", metric, list(METRICS))


def unit_of(metric: str) -> str:
    check_metric(metric)
    return UNITS[metric]


def _device_column(metric: str, device: str) -> Column | None:
    if metric == "latency":
        return Column(metric, device, f"lat_ms_{device}_mean", f"lat_ms_{device}_std")
    if metric == "energy" and device in GPUS:
        return Column(metric, device, f"en_mWh_{device}_mean_excl_first", f"en_mWh_{device}_std")
    if metric == "energy":
        return Column(metric, device, f"en_mWh_{device}_mean", f"en_mWh_{device}_std")
    if metric == "power":
        return Column(metric, device, f"power_W_{device}_mean", None)
    if metric == "memory" and device in MEMORY_COLUMNS:
        return Column(metric, device, MEMORY_COLUMNS[device], None)
    return None


def table_columns(header: Collection[str]) -> list[Column]:
    """Every (metric, device) whose value column is in ``header`` (a table's column names), in METRICS order then
    TABLE_DEVICES order; a spread column missing from the header is None. Whether a column holds finite values is
    the caller's question (:meth:`hwnas.bench.benchmark.Benchmark.metrics`)."""
    found: list[Column] = []
    for metric in METRICS:
        if metric in QUALITY_COLUMNS and QUALITY_COLUMNS[metric] in header:
            found.append(Column(metric, None, QUALITY_COLUMNS[metric], None))
        for device in TABLE_DEVICES if metric not in DEVICE_FREE_METRICS else ():
            column = _device_column(metric, device)
            if column is not None and column.mean in header:
                std = column.std if column.std in header else None
                found.append(Column(metric, device, column.mean, std))
    return found
