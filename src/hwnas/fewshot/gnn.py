"""A device-conditioned GNN latency ranker for few-shot transfer to a new device (issue 16, NASFLAT-like).

:meth:`DeviceGnn.pretrain` fits one graph network over several source devices at once: every device has a row of
a learned hardware embedding, added to the op embedding of every node of the arch's graph (the family's node-as-op
graph, :func:`hwnas.encodings.graph.to_graph`), so one network ranks archs per device. The loss is a pairwise hinge
on the order of the archs' latencies on one device (only the order matters: scores need not be ms). Each source
contributes ``pretrain_archs`` archs drawn with the seed from the archs measured on it (NaN = not measured).

:meth:`DeviceGnn.adapt` gives a new model with a ``target`` row: first a copy of the row of the source whose
predictions rank the target's samples most like their latencies (tie-aware Spearman), then fine-tuned on the
samples with the same hinge over all their pairs. With one sample (or constant values) the copy is all there is.
Fine-tuning every weight (the default) beat tuning the embedding row alone or with the head MLPs on the NASFLAT
tasks at 20 samples (mean Spearman 0.856 against 0.725 / 0.845; the copy alone: 0.678); only the target's row of
the embedding table moves, the sources' rows stay as pretrained.

Besides the graph, each arch has a row of supplementary features fed through their own MLP: the log of its
analytic FLOPs and params when the family has counts, and how often each option of each decision occurs in it
(per-layer decisions counted over layers), z-scored with the statistics of the pretraining archs.

Graphs are dense and batched: the topology is fixed per family (per node count), so an arch is the op index of
each node, read through the family's decoding and cached per arch; 15,625 NB201 archs encode in well under a
second. Everything is deterministic for a seed on CPU; :meth:`DeviceGnn.state` is a JSON-able header plus numpy
arrays (no pickle).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from hwnas.contracts.family import capability, family_of
from hwnas.contracts.options import Options
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError, InvalidArchError, UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.predictors.metrics import spearman

if TYPE_CHECKING:
    import torch

    from hwnas.fewshot.gnn_model import DeviceGnnNet

TARGET = "target"
STATE_KIND = "fewshot-device-gnn"
STATE_VERSION = 1


class GnnOptions(Options):
    hidden: int = Field(64, ge=4, le=1024, description="width of the op / hardware embeddings and every layer")
    layers: int = Field(2, ge=0, le=8, description="message-passing layers (forward + backward)")
    pretrain_archs: int = Field(256, ge=2, description="archs per source device used to pretrain (drawn with the seed)")
    pretrain_epochs: int = Field(40, ge=1, description="passes over the pretraining archs of every source")
    batch_size: int = Field(64, ge=2, description="archs of one device per step (the hinge uses all their pairs)")
    lr: float = Field(2e-3, gt=0, le=1, description="Adam learning rate of pretraining")
    weight_decay: float = Field(1e-4, ge=0, le=1, description="Adam weight decay of pretraining")
    margin: float = Field(0.1, gt=0, le=10, description="hinge margin between the scores of a faster/slower pair")
    adapt_steps: int = Field(50, ge=0, description="Adam steps of fine-tuning on the target's samples")
    adapt_lr: float = Field(5e-3, gt=0, le=1, description="Adam learning rate of fine-tuning")
    adapt_scope: Literal["embedding", "head", "all"] = Field(
        "all", description="what fine-tuning changes: the target's embedding row, it and the head MLPs, or every weight"
    )
    positions: bool = Field(True, description="a learned embedding per node position (layer / edge) added to its op's")
    use_counts: bool = Field(True, description="log FLOPs / params as features when the space's family has counts")
    device: str = Field("cpu", min_length=1, description="torch device to train and predict on (e.g. cuda)")


# -- encoding archs -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Batch:
    ops: np.ndarray  # [B, N] int64, padded nodes = n_ops
    adjacency: np.ndarray  # [B, N, N] float32, or [N, N] when every arch has the same graph
    extra: np.ndarray  # [B, n_extra] float64, not yet standardised


class _Encoder:
    """An arch of one space -> (op index per node, topology id, supplementary features), cached per arch."""

    def __init__(self, space: SearchSpace, use_counts: bool) -> None:
        self.space = space
        self.family = family_of(space)
        self.graph = capability(space, "graph", "graph encoding")
        self.counter = self.family.counts if use_counts else None
        self.options = [(g.name, g.choices) for g in space.genes if len(g.choices) > 1]
        self.extra_names: tuple[str, ...] = (
            *(("log_flops", "log_params") if self.counter is not None else ()),
            *(f"{name}={choice}" for name, choices in self.options for choice in choices),
        )
        self._option_index = [{c: i for i, c in enumerate(choices)} for _, choices in self.options]
        self.op_names: tuple[str, ...] | None = None
        self._op_index: dict[str, int] = {}
        self.topologies: dict[int, np.ndarray] = {}  # node count -> adjacency
        self._fast = True
        self._rows: dict[Arch, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def n_ops(self) -> int:
        if self.op_names is None:
            raise ConfigError("the encoder has seen no arch yet")
        return len(self.op_names)

    def _ops(self, arch: Arch) -> np.ndarray:
        if self._fast:
            decoded = self.family.decode(arch, self.space)
            if self.op_names is not None and isinstance(decoded, tuple):
                nodes = ("input", *decoded, "output")
                if len(nodes) in self.topologies:
                    try:
                        return np.array([self._op_index[str(op)] for op in nodes], dtype=np.int64)
                    except KeyError as exc:
                        raise InvalidArchError(self.space.name, "(graph op)", exc.args[0], self.op_names) from None
        adjacency, onehot, names = self.graph.to_graph(arch, self.space)
        if self.op_names is None:
            self.op_names, self._op_index = tuple(names), {name: i for i, name in enumerate(names)}
        elif tuple(names) != self.op_names:
            raise DataError(f"{self.space.name}: graph op names changed between archs ({names} vs {self.op_names})")
        ops: np.ndarray = np.asarray(onehot).argmax(axis=1).astype(np.int64)
        self.topologies.setdefault(len(ops), np.asarray(adjacency, dtype=np.float32))
        if not np.array_equal(self.topologies[len(ops)], adjacency):
            raise DataError(f"{self.space.name}: graph topology differs between archs with {len(ops)} nodes")
        if self._fast:  # the shortcut must agree with the family's own graph
            decoded = self.family.decode(arch, self.space)
            nodes = ("input", *decoded, "output") if isinstance(decoded, tuple) else ()
            self._fast = [self._op_index.get(str(op), -1) for op in nodes] == ops.tolist()
        return ops

    def _extra(self, arch: Arch) -> np.ndarray:
        row = np.zeros(len(self.extra_names))
        start = 0
        if self.counter is not None:
            counts = self.counter(arch, self.space)
            row[0], row[1] = math.log1p(float(counts["flops"])), math.log1p(float(counts["params"]))
            start = 2
        for (name, choices), index in zip(self.options, self._option_index, strict=True):
            value = arch[name]
            for v in value if isinstance(value, tuple) else (value,):
                if v in index:
                    row[start + index[v]] += 1.0
            start += len(choices)
        return row

    def encode(self, archs: Sequence[Arch]) -> _Batch:
        if not archs:
            raise ConfigError("no archs to encode")
        rows = []
        for arch in archs:
            row = self._rows.get(arch)
            if row is None:
                if arch.space != self.space.name:
                    raise ConfigError(f"arch of space {arch.space!r} given to a model of space {self.space.name!r}")
                row = (self._ops(arch), self._extra(arch))
                if len(self._rows) >= 500_000:
                    self._rows.clear()
                self._rows[arch] = row
            rows.append(row)
        sizes = {len(ops) for ops, _ in rows}
        width = max(sizes)
        if len(sizes) == 1:
            ops = np.stack([ops for ops, _ in rows])
            adjacency = self.topologies[width]
        else:
            ops = np.full((len(rows), width), self.n_ops, dtype=np.int64)
            adjacency = np.zeros((len(rows), width, width), dtype=np.float32)
            for i, (row_ops, _) in enumerate(rows):
                ops[i, : len(row_ops)] = row_ops
                adjacency[i, : len(row_ops), : len(row_ops)] = self.topologies[len(row_ops)]
        return _Batch(ops, adjacency, np.stack([extra for _, extra in rows]))


_ENCODERS: dict[tuple[Any, ...], _Encoder] = {}


def _encoder(space: SearchSpace, use_counts: bool) -> _Encoder:
    key = (space.name, space.family, space.genes, use_counts)
    if key not in _ENCODERS:
        _ENCODERS[key] = _Encoder(space, use_counts)
    return _ENCODERS[key]


def _positions(encoder: _Encoder, options: GnnOptions) -> int:
    """Rows of the node-position embedding: the most nodes a graph of the space can have (0: no positions)."""
    if not options.positions:
        return 0
    layers = [encoder.space.max_layers(g) for g in encoder.space.genes if g.per_layer is not None]
    return max([*encoder.topologies, *(n + 2 for n in layers)])


# -- the model ------------------------------------------------------------------------------------------------------


def _hinge(scores: torch.Tensor, values: torch.Tensor, margin: float) -> torch.Tensor:
    """Mean of ``max(0, margin - (s_i - s_j))`` over the pairs with ``values_i > values_j``."""
    import torch

    slower = values.unsqueeze(1) > values.unsqueeze(0)
    gaps = scores.unsqueeze(1) - scores.unsqueeze(0)
    losses = torch.relu(margin - gaps)[slower]
    return losses.mean() if losses.numel() else scores.sum() * 0.0


class DeviceGnn:
    """A GNN that ranks archs of one space per device (see the module docstring). Build it with :meth:`pretrain`
    or :meth:`from_state`."""

    def __init__(
        self,
        space: SearchSpace,
        options: GnnOptions,
        sources: Sequence[str],
        net: DeviceGnnNet,
        encoder: _Encoder,
        extra_mean: np.ndarray,
        extra_std: np.ndarray,
        adapted_from: str | None = None,
        facts: dict[str, Any] | None = None,
    ) -> None:
        self.space, self.options, self.sources = space, options, tuple(sources)
        self.net, self.encoder = net, encoder
        self.extra_mean, self.extra_std = extra_mean, extra_std
        self.adapted_from = adapted_from  # the source whose row the target's started from (None: not adapted)
        self.facts: dict[str, Any] = dict(facts or {})

    # -- building ---------------------------------------------------------------------------------------------
    @classmethod
    def pretrain(
        cls,
        space: SearchSpace,
        archs: Sequence[Arch],
        latency: np.ndarray,
        *,
        sources: Sequence[str],
        seed: int,
        options: GnnOptions | None = None,
    ) -> DeviceGnn:
        """Fit on ``latency`` [len(archs), len(sources)] ms (NaN: that arch is not measured on that device)."""
        import torch

        from hwnas.fewshot.gnn_model import DeviceGnnNet

        options = options or GnnOptions()
        latency = np.asarray(latency, dtype=np.float64)
        sources = tuple(sources)
        if not sources or len(set(sources)) != len(sources) or TARGET in sources:
            raise ConfigError(f"sources: give one or more distinct device names (not {TARGET!r}), got {sources}")
        if latency.shape != (len(archs), len(sources)):
            raise ConfigError(f"latency: shape {latency.shape}, expected {(len(archs), len(sources))} (archs, sources)")
        rng = np.random.default_rng(seed)
        chosen: list[np.ndarray] = []
        for j, name in enumerate(sources):
            measured = np.flatnonzero(np.isfinite(latency[:, j]))
            if len(measured) < 2:
                raise ConfigError(f"source {name!r}: {len(measured)} measured archs, at least 2 are needed to rank")
            take = min(options.pretrain_archs, len(measured))
            chosen.append(np.sort(rng.choice(measured, size=take, replace=False)))
        used = np.unique(np.concatenate(chosen))
        encoder = _encoder(space, options.use_counts)
        batch = encoder.encode([archs[i] for i in used])
        mean, std = batch.extra.mean(axis=0), batch.extra.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = DeviceGnnNet(encoder.n_ops, len(encoder.extra_names), len(sources) + 1, options.hidden,
                               options.layers, _positions(encoder, options))  # fmt: skip
        model = cls(space, options, sources, net.to(options.device), encoder, mean, std, facts={"seed": seed})
        position = {int(a): k for k, a in enumerate(used)}
        tensors = model._tensors(batch)
        steps = []  # (source, positions in `used`, latencies)
        for j, rows in enumerate(chosen):
            steps.append((j, np.array([position[int(r)] for r in rows]), latency[rows, j]))
        optimizer = torch.optim.Adam(net.parameters(), lr=options.lr, weight_decay=options.weight_decay)
        net.train()
        for _ in range(options.pretrain_epochs):
            plan = []
            for j, where, values in steps:
                order = rng.permutation(len(where))
                for start in range(0, len(order), options.batch_size):
                    part = order[start : start + options.batch_size]
                    if len(part) >= 2:
                        plan.append((j, where[part], values[part]))
            for k in rng.permutation(len(plan)):
                j, where, values = plan[k]
                loss = model._loss(tensors, where, j, values)
                optimizer.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
        net.eval()
        return model

    def adapt(self, archs: Sequence[Arch], values: np.ndarray, *, seed: int) -> DeviceGnn:
        """A new model with a ``target`` row fitted to ``values`` (ms, one per arch); this model is unchanged."""
        import torch

        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(archs) < 1 or len(values) != len(archs) or not np.all(np.isfinite(values)):
            raise ConfigError(f"adapt: give 1 or more archs with one finite latency each ({len(archs)} archs, "
                              f"{len(values)} values)")  # fmt: skip
        batch = self.encoder.encode(archs)
        tensors = self._tensors(batch)
        with torch.no_grad():
            scored = [spearman(values, self._scores(tensors, j)) for j in range(len(self.sources))]
        ranked = [s if np.isfinite(s) else -np.inf for s in scored]
        best = int(np.argmax(ranked))  # ties (and one sample: every Spearman NaN) go to the earlier source
        net = copy.deepcopy(self.net)
        target = len(self.sources)
        with torch.no_grad():
            net.hw_embed.weight[target] = net.hw_embed.weight[best]
        model = DeviceGnn(self.space, self.options, self.sources, net, self.encoder, self.extra_mean,
                          self.extra_std, self.sources[best], {**self.facts, "adapt_seed": seed,
                                                                "adapt_samples": len(values)})  # fmt: skip
        if len(values) >= 2 and np.ptp(values) > 0 and self.options.adapt_steps > 0:
            model._fine_tune(tensors, values, seed)
        net.eval()
        return model

    def _fine_tune(self, tensors: dict[str, torch.Tensor], values: np.ndarray, seed: int) -> None:
        import torch

        net, scope, target = self.net, self.options.adapt_scope, len(self.sources)
        params: list[torch.Tensor] = [net.hw_embed.weight]
        if scope == "head":
            params += [*net.head.parameters(), *(net.extra.parameters() if net.extra is not None else ())]
        elif scope == "all":
            params = list(net.parameters())
        keep = {id(p) for p in params}
        for p in net.parameters():
            p.requires_grad_(id(p) in keep)
        frozen = net.hw_embed.weight.detach().clone()
        optimizer = torch.optim.Adam(params, lr=self.options.adapt_lr)
        rng = np.random.default_rng(seed)
        n, size = len(values), self.options.batch_size
        net.train()
        for _ in range(self.options.adapt_steps):
            where = np.arange(n) if n <= size else np.sort(rng.choice(n, size=size, replace=False))
            loss = self._loss(tensors, where, target, values[where])
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            with torch.no_grad():  # only the target's row of the embedding moves
                net.hw_embed.weight[:target] = frozen[:target]
        for p in net.parameters():
            p.requires_grad_(True)

    # -- predicting -------------------------------------------------------------------------------------------
    def predict(self, archs: Sequence[Arch], device: str | None = None) -> np.ndarray:
        """Score per arch (higher = slower) on a source device, or on the adapted target when ``device`` is None."""
        import torch

        if device is None or device == TARGET:
            if self.adapted_from is None:
                raise ConfigError("predict: this model has no target device yet; call adapt() first, or name a source")
            index = len(self.sources)
        elif device in self.sources:
            index = self.sources.index(device)
        else:
            raise UnknownNameError("source device of this GNN", device, list(self.sources))
        if not archs:
            return np.zeros(0)
        out = []
        with torch.no_grad():
            for start in range(0, len(archs), 4096):
                tensors = self._tensors(self.encoder.encode(archs[start : start + 4096]))
                out.append(self._scores(tensors, index))
        return np.concatenate(out)

    @property
    def adapted(self) -> bool:
        return self.adapted_from is not None

    # -- saving -----------------------------------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """A JSON-able header and plain numpy arrays (the network's state dict, the feature statistics)."""
        import torch

        header = {
            "kind": STATE_KIND,
            "version": STATE_VERSION,
            "space": self.space.name,
            "options": self.options.model_dump(),
            "sources": list(self.sources),
            "adapted_from": self.adapted_from,
            "op_names": list(self.encoder.op_names or ()),
            "extra_names": list(self.encoder.extra_names),
            "positions": 0 if self.net.position_embed is None else int(self.net.position_embed.num_embeddings),
            "facts": {**self.facts, "torch": torch.__version__},
        }
        arrays = {f"net.{k}": v.detach().cpu().numpy().copy() for k, v in self.net.state_dict().items()}
        arrays["extra_mean"], arrays["extra_std"] = self.extra_mean.copy(), self.extra_std.copy()
        return header, arrays

    @classmethod
    def from_state(cls, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> DeviceGnn:
        import torch

        from hwnas.fewshot.gnn_model import DeviceGnnNet
        from hwnas.spaces import get_space

        if header.get("kind") != STATE_KIND or header.get("version") != STATE_VERSION:
            raise DataError(f"not a few-shot GNN state of version {STATE_VERSION}: kind {header.get('kind')!r}, "
                            f"version {header.get('version')!r}")  # fmt: skip
        space = get_space(str(header["space"]))
        options = GnnOptions.model_validate(header["options"])
        extra_names = tuple(header["extra_names"])
        encoder = _encoder(space, "log_flops" in extra_names)
        if encoder.extra_names != extra_names:
            raise DataError(f"few-shot GNN state: features {extra_names} but space {space.name!r} now gives "
                            f"{encoder.extra_names} (the family's counts changed?)")  # fmt: skip
        if encoder.op_names is None:  # the encoder learns the op names from an arch's graph
            encoder.encode([space.smallest()])
        if list(encoder.op_names or ()) != list(header["op_names"]):
            raise DataError(f"few-shot GNN state: graph ops {header['op_names']}, space gives {encoder.op_names}")
        sources = tuple(header["sources"])
        net = DeviceGnnNet(len(header["op_names"]), len(extra_names), len(sources) + 1, options.hidden,
                           options.layers, int(header["positions"]))  # fmt: skip
        state = {k.removeprefix("net."): torch.as_tensor(v) for k, v in arrays.items() if k.startswith("net.")}
        net.load_state_dict(state)
        net.to(options.device).eval()
        return cls(space, options, sources, net, encoder, np.asarray(arrays["extra_mean"], dtype=np.float64),
                   np.asarray(arrays["extra_std"], dtype=np.float64), header.get("adapted_from"),
                   header.get("facts"))  # fmt: skip

    # -- internals --------------------------------------------------------------------------------------------
    def _tensors(self, batch: _Batch) -> dict[str, torch.Tensor]:
        import torch

        device = self.options.device
        extra = (batch.extra - self.extra_mean) / self.extra_std
        return {
            "ops": torch.as_tensor(batch.ops, device=device),
            "adjacency": torch.as_tensor(np.ascontiguousarray(batch.adjacency), device=device),
            "extra": torch.as_tensor(extra, dtype=torch.float32, device=device),
        }

    def _forward(self, tensors: dict[str, torch.Tensor], where: np.ndarray | None, device: int) -> torch.Tensor:
        import torch

        if where is None:
            parts = tensors
        else:
            index = torch.as_tensor(where, device=self.options.device)
            parts = {k: v if k == "adjacency" and v.dim() == 2 else v[index] for k, v in tensors.items()}
        devices = torch.full((len(parts["ops"]),), device, dtype=torch.long, device=self.options.device)
        out: torch.Tensor = self.net(parts["ops"], parts["adjacency"], parts["extra"], devices)
        return out

    def _scores(self, tensors: dict[str, torch.Tensor], device: int) -> np.ndarray:
        self.net.eval()
        scores: np.ndarray = self._forward(tensors, None, device).double().cpu().numpy()
        return scores

    def _loss(
        self, tensors: dict[str, torch.Tensor], where: np.ndarray, device: int, values: np.ndarray
    ) -> torch.Tensor:
        import torch

        scores = self._forward(tensors, where, device)
        target = torch.as_tensor(values, dtype=torch.float64, device=self.options.device)
        return _hinge(scores, target, self.options.margin)
