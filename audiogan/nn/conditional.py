"""Conditional normalisation blocks: layers whose per-channel scale and shift depend on a condition vector.

``cond: Tensor[B, K]`` is any real-valued code per example (e.g. concatenated one-hot speaker codes). Shapes:
1-D blocks take ``x: Tensor[B, C, T]``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from audiogan.nn.blocks import check_shape, same_stride_padding


class ConditionalInstanceNorm1d(nn.Module):
    """Conditional instance normalisation (Dumoulin et al. 2017): ``(1 + gamma(c)) * IN(x) + beta(c)``.

    ``x: Tensor[B, C, T], cond: Tensor[B, K] -> Tensor[B, C, T]``. ``gamma``/``beta`` are linear maps of the
    condition, so a one-hot code selects a learned per-class scale and shift (a sum of them for several
    one-hot parts). Written by hand: torch has no conditional norm layer.
    """

    def __init__(self, channels: int, cond_dim: int, eps: float = 1e-5):
        super().__init__()
        if channels < 1 or cond_dim < 1:
            raise ValueError(f"channels and cond_dim must be positive, got {channels}, {cond_dim}")
        self.channels, self.cond_dim = channels, cond_dim
        self.norm = nn.InstanceNorm1d(channels, affine=False, eps=eps)
        self.gamma = nn.Linear(cond_dim, channels)
        self.beta = nn.Linear(cond_dim, channels)

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        check_shape(x, 3, "ConditionalInstanceNorm1d", self.channels)
        if cond.dim() != 2 or cond.shape != (x.shape[0], self.cond_dim):
            raise ValueError(f"ConditionalInstanceNorm1d expects cond Tensor[{x.shape[0]}, {self.cond_dim}], "
                             f"got shape {tuple(cond.shape)}")
        cond = cond.to(x.dtype)
        scale = 1.0 + self.gamma(cond).unsqueeze(-1)  # [B, C, 1]
        return self.norm(x) * scale + self.beta(cond).unsqueeze(-1)


class ConditionalResidualGatedBlock1d(nn.Module):
    """The CycleGAN residual block (:class:`audiogan.nn.blocks.ResidualGatedBlock1d`) with conditional
    instance norms: ``x + CIN(conv(GLU(x)))`` where ``GLU(x) = CIN(conv(x)) * sigmoid(CIN(gate(x)))``.

    ``x: Tensor[B, C, T], cond: Tensor[B, K] -> Tensor[B, C, T]`` (zero 'same' padding).
    """

    def __init__(self, channels: int, hidden_channels: int, cond_dim: int, kernel_size: int = 3):
        super().__init__()
        self.channels = channels
        self.padding = same_stride_padding(kernel_size, 1)
        self.conv = nn.Conv1d(channels, hidden_channels, kernel_size)
        self.gate = nn.Conv1d(channels, hidden_channels, kernel_size)
        self.norm = ConditionalInstanceNorm1d(hidden_channels, cond_dim)
        self.gate_norm = ConditionalInstanceNorm1d(hidden_channels, cond_dim)
        self.out = nn.Conv1d(hidden_channels, channels, kernel_size)
        self.out_norm = ConditionalInstanceNorm1d(channels, cond_dim)

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        check_shape(x, 3, "ConditionalResidualGatedBlock1d", self.channels)
        h = F.pad(x, self.padding)
        h = self.norm(self.conv(h), cond) * torch.sigmoid(self.gate_norm(self.gate(h), cond))
        return x + self.out_norm(self.out(F.pad(h, self.padding)), cond)
