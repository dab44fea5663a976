"""CycleGAN-VC2 networks (Kaneko et al., "CycleGAN-VC2: Improved CycleGAN-based non-parallel voice
conversion", ICASSP 2019): the 2-1-2D generator and the PatchGAN discriminator.

Both take a batch of normalised coded spectral envelopes ``x: Tensor[B, F, T]`` (F feature dims, e.g. 36
mel-cepstra; T frames) and treat it as a one-channel image ``[B, 1, F, T]``; kernels are written
``(frequency, time)``.

Points where this follows the paper rather than the popular PyTorch port:

* every gated unit is a true GLU with a *separate* gate convolution (``conv(x) * sigmoid(gate(x))``),
  including the upsampling blocks, where both branches go through PixelShuffle and instance norm;
* the 1-D width of the 2-1-2D bottleneck is ``down_channels * F / 4``, derived from the feature dimension
  instead of a hard-coded 2304 (= 256 * 36 / 4);
* the discriminator outputs a patch of raw logits (no sigmoid), as the LSGAN loss expects.

Feature dims and frame counts that are not multiples of 4 are padded (edge replication) inside
:meth:`Generator2to1to2D.forward` and the output is trimmed back, so whole utterances of any length convert.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from audiogan.nn.blocks import GatedConv2d, ResidualGatedBlock1d, check_shape

_DOWN = 4  # total down-sampling factor of the generator along frequency and time


def _same_pad2d(kernel: tuple[int, int]) -> tuple[int, int, int, int]:
    """F.pad tuple (t_left, t_right, f_left, f_right) for a stride-1 'same' conv (odd or even kernel)."""
    kf, kt = kernel
    return ((kt - 1) // 2, kt // 2, (kf - 1) // 2, kf // 2)


class UpsampleGLU2d(nn.Module):
    """Conv2d -> PixelShuffle(2) -> InstanceNorm, gated by a separate Conv2d -> PixelShuffle -> IN -> sigmoid.

    ``Tensor[B, C_in, F, T] -> Tensor[B, C_out, 2F, 2T]``; each conv has ``4 * C_out`` channels.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int] = 5):
        super().__init__()
        k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.in_channels = in_channels
        self.padding = _same_pad2d(k)
        self.conv = nn.Conv2d(in_channels, out_channels * 4, k)
        self.gate = nn.Conv2d(in_channels, out_channels * 4, k)
        self.shuffle = nn.PixelShuffle(2)
        self.norm = nn.InstanceNorm2d(out_channels, affine=True)
        self.gate_norm = nn.InstanceNorm2d(out_channels, affine=True)

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 4, "UpsampleGLU2d", self.in_channels)
        x = F.pad(x, self.padding)
        h = self.norm(self.shuffle(self.conv(x)))
        g = self.gate_norm(self.shuffle(self.gate(x)))
        return h * torch.sigmoid(g)


class Generator2to1to2D(nn.Module):
    """The CycleGAN-VC2 2-1-2D generator. ``x: Tensor[B, F, T] -> Tensor[B, F, T]``.

    Layout (paper widths in brackets): gated Conv2d 1->``channels`` [128], kernel (5, 15); two gated
    downsample blocks (kernel 5, stride 2, IN) to ``down_channels`` [256]; reshape to 1-D
    (``down_channels * F/4`` channels) and 1x1 Conv1d + IN to ``res_channels`` [256]; ``num_residual`` [6]
    gated residual blocks (kernel 3, ``res_hidden_channels`` [512] gated, back to ``res_channels``);
    1x1 Conv1d + IN back to ``down_channels * F/4`` and reshape to 2-D; two PixelShuffle(2) GLU upsample
    blocks (to ``down_channels`` then ``channels``); Conv2d to 1 channel, kernel (5, 15).
    """

    def __init__(self, feature_dim: int = 36, channels: int = 128, down_channels: int = 256,
                 res_channels: int = 256, res_hidden_channels: int = 512, num_residual: int = 6,
                 in_kernel: tuple[int, int] = (5, 15), down_kernel: int = 5, res_kernel: int = 3,
                 up_kernel: int = 5, out_kernel: tuple[int, int] = (5, 15)):
        super().__init__()
        if feature_dim < 1:
            raise ValueError(f"feature_dim must be positive, got {feature_dim}")
        self.feature_dim = feature_dim
        self.padded_dim = math.ceil(feature_dim / _DOWN) * _DOWN
        self.down_channels = down_channels
        width = down_channels * self.padded_dim // _DOWN  # 2304 for 36 dims and 256 channels
        self.in_gate = GatedConv2d(1, channels, tuple(in_kernel), norm="none")
        self.down = nn.Sequential(
            GatedConv2d(channels, down_channels, down_kernel, 2, norm="instance"),
            GatedConv2d(down_channels, down_channels, down_kernel, 2, norm="instance"),
        )
        self.to_1d = nn.Sequential(nn.Conv1d(width, res_channels, 1),
                                   nn.InstanceNorm1d(res_channels, affine=True))
        self.residual = nn.Sequential(
            *[ResidualGatedBlock1d(res_channels, res_hidden_channels, res_kernel, norm="instance")
              for _ in range(num_residual)]
        )
        self.to_2d = nn.Sequential(nn.Conv1d(res_channels, width, 1), nn.InstanceNorm1d(width, affine=True))
        self.up = nn.Sequential(
            UpsampleGLU2d(down_channels, down_channels, up_kernel),
            UpsampleGLU2d(down_channels, channels, up_kernel),
        )
        self.out_padding = _same_pad2d(tuple(out_kernel))
        self.out = nn.Conv2d(channels, 1, tuple(out_kernel))

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "Generator2to1to2D")
        b, f, t = x.shape
        if f != self.feature_dim:
            raise ValueError(f"generator built for {self.feature_dim} feature dims, got {tuple(x.shape)}")
        pad_f, pad_t = self.padded_dim - f, (-t) % _DOWN
        h = x.unsqueeze(1)
        if pad_f or pad_t:  # edge replication keeps instance-norm statistics close to the unpadded input
            h = F.pad(h, (0, pad_t, 0, pad_f), mode="replicate")
        h = self.down(self.in_gate(h))  # [B, C, F/4, T/4]
        c, fq, tq = h.shape[1:]
        h = self.to_1d(h.reshape(b, c * fq, tq))
        h = self.to_2d(self.residual(h)).reshape(b, c, fq, tq)
        h = self.up(h)  # [B, channels, F, T]
        y = self.out(F.pad(h, self.out_padding)).squeeze(1)
        return y[:, :f, :t]


class PatchDiscriminator(nn.Module):
    """CycleGAN-VC2 PatchGAN discriminator. ``x: Tensor[B, F, T] -> logits Tensor[B, 1, F', T']``.

    Gated Conv2d 1->``channels[0]`` (3x3); one gated downsample block (3x3, stride 2, IN) per further entry
    of ``channels`` [128 -> 256 -> 512 -> 1024]; a gated block with ``final_kernel`` (1, 5) keeping 1024
    channels (omit with ``final_kernel=None``); then a (1, 3) Conv2d to one channel. No sigmoid.
    """

    def __init__(self, channels: tuple[int, ...] | list[int] = (128, 256, 512, 1024), kernel: int = 3,
                 final_kernel: tuple[int, int] | list[int] | None = (1, 5),
                 out_kernel: tuple[int, int] = (1, 3)):
        super().__init__()
        channels = list(channels)
        if not channels:
            raise ValueError("discriminator needs at least one channel width")
        layers: list[nn.Module] = [GatedConv2d(1, channels[0], kernel, norm="none")]
        for cin, cout in zip(channels[:-1], channels[1:]):
            layers.append(GatedConv2d(cin, cout, kernel, 2, norm="instance"))
        if final_kernel:
            layers.append(GatedConv2d(channels[-1], channels[-1], tuple(final_kernel), norm="instance"))
        self.body = nn.Sequential(*layers)
        self.out_padding = _same_pad2d(tuple(out_kernel))
        self.out = nn.Conv2d(channels[-1], 1, tuple(out_kernel))

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "PatchDiscriminator")
        h = self.body(x.unsqueeze(1))
        return self.out(F.pad(h, self.out_padding))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
