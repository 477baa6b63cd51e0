"""The torch module of :mod:`hwnas.fewshot.gnn`: a device-conditioned graph network that scores archs.

Input per arch: the op index of every node (padded nodes carry index ``n_ops`` and mask 0), the dense adjacency
(``adjacency[i, j] = 1``: node i feeds node j), a row of supplementary arch features, and a device index. The
device's hardware embedding is added to every node's op embedding; each layer mixes a node with what flows into
it (``A^T h``, forward) and what it flows into (``A h``, backward), both normalised by the node's degree; the mean
of the nodes, the supplementary features (through their own MLP) and the hardware embedding go through an MLP head
to one score (higher = slower on that device).
"""

from __future__ import annotations

import torch
from torch import nn


class DeviceGnnNet(nn.Module):
    def __init__(self, n_ops: int, n_extra: int, n_devices: int, hidden: int, layers: int, positions: int) -> None:
        super().__init__()
        self.n_ops, self.n_extra = n_ops, n_extra
        self.op_embed = nn.Embedding(n_ops + 1, hidden, padding_idx=n_ops)
        self.position_embed = nn.Embedding(positions, hidden) if positions else None
        self.hw_embed = nn.Embedding(n_devices, hidden)
        self.own = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.forward_msg = nn.ModuleList(nn.Linear(hidden, hidden, bias=False) for _ in range(layers))
        self.backward_msg = nn.ModuleList(nn.Linear(hidden, hidden, bias=False) for _ in range(layers))
        self.hw_layer = nn.ModuleList(nn.Linear(hidden, hidden, bias=False) for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
        self.extra = (
            nn.Sequential(nn.Linear(n_extra, hidden), nn.ReLU(), nn.Linear(hidden, hidden)) if n_extra else None
        )
        width = hidden * (3 if n_extra else 2)
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(
        self, ops: torch.Tensor, adjacency: torch.Tensor, extra: torch.Tensor, device: torch.Tensor
    ) -> torch.Tensor:
        """ops [B, N] long, adjacency [B, N, N] or one shared [N, N] float, extra [B, n_extra] float, device [B]
        long -> scores [B]."""
        mask = (ops < self.n_ops).unsqueeze(-1).to(adjacency.dtype)  # [B, N, 1]
        hw = self.hw_embed(device)  # [B, H]
        into = adjacency.transpose(-1, -2)  # into[..., j, i] = 1: i feeds j
        into = into / into.sum(-1, keepdim=True).clamp(min=1.0)
        out_of = adjacency / adjacency.sum(-1, keepdim=True).clamp(min=1.0)
        h = self.op_embed(ops) + hw.unsqueeze(1)
        if self.position_embed is not None:
            h = h + self.position_embed.weight[: ops.shape[1]].unsqueeze(0)
        h = h * mask
        for own, fwd, bwd, hw_layer, norm in zip(
            self.own, self.forward_msg, self.backward_msg, self.hw_layer, self.norms, strict=True
        ):
            message = own(h) + fwd(into @ h) + bwd(out_of @ h) + hw_layer(hw).unsqueeze(1)
            h = (h + torch.relu(norm(message))) * mask
        pooled = h.sum(1) / mask.sum(1).clamp(min=1.0)
        parts = [pooled, hw]
        if self.extra is not None:
            parts.append(self.extra(extra))
        score: torch.Tensor = self.head(torch.cat(parts, dim=-1)).squeeze(-1)
        return score
