"""Shared convolutional building blocks of SEGAN, CycleGAN-VC2 and WaveGAN.

Shapes: 1-D blocks take ``x: Tensor[B, C, T]``, 2-D blocks ``x: Tensor[B, C, F, T]``. Strided blocks pad so
that ``T_out = T / stride`` exactly (T divisible by stride) and upsampling blocks give ``T_out = T * stride``,
whatever the kernel size, so encoder and decoder lengths always line up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrizations

NORMS = ("none", "batch", "instance", "spectral", "weight", "virtual_batch")
ACTIVATIONS = ("prelu", "leaky_relu", "relu", "tanh", "none")


def check_shape(x: Tensor, dims: int, what: str, channels: int | None = None) -> None:
    """Raise a clear ValueError when ``x`` does not have ``dims`` dimensions (and ``channels`` channels)."""
    names = {3: "[B, C, T]", 4: "[B, C, F, T]"}.get(dims, f"{dims} dims")
    if x.dim() != dims:
        raise ValueError(f"{what} expects Tensor{names}, got shape {tuple(x.shape)}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{what} expects {channels} input channels, got shape {tuple(x.shape)}")


def same_stride_padding(kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding so a strided conv maps T to T / stride (T divisible by stride)."""
    total = max(dilation * (kernel - 1) + 1 - stride, 0)
    return total // 2, total - total // 2


def make_activation(name: str, channels: int, negative_slope: float = 0.2) -> nn.Module:
    if name == "prelu":
        return nn.PReLU(channels, init=0.0) if channels > 0 else nn.PReLU(init=0.0)
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    if name == "relu":
        return nn.ReLU()
    if name == "tanh":
        return nn.Tanh()
    if name == "none":
        return nn.Identity()
    raise ValueError(f"unknown activation '{name}' (choose from {ACTIVATIONS})")


class VirtualBatchNorm1d(nn.Module):
    """Virtual batch norm (Salimans et al. 2016), as used by the SEGAN discriminator.

    Every example is normalised with per-channel statistics (over time) of itself and of a *reference
    batch* of N examples, weighted ``1/(N+1)`` and ``N/(N+1)``. ``x: Tensor[B, C, T]``.

    Reference statistics come from, in order of preference:

    * :func:`vbn_reference_pass` - as in the SEGAN reference code, forward a fixed reference batch through
      the whole network inside ``with vbn_reference_pass(net): net(ref)`` before each training step, so the
      statistics follow the current weights (they are stored without gradient);
    * :meth:`set_reference` with this layer's input for the reference batch;
    * otherwise they are frozen from the first batch the module sees in training mode.

    They are buffers, so checkpoints carry them and eval mode uses the last ones.
    """

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(1, channels, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1))
        self.register_buffer("ref_mean", torch.zeros(1, channels, 1))
        self.register_buffer("ref_meansq", torch.ones(1, channels, 1))
        self.register_buffer("ref_size", torch.zeros((), dtype=torch.long))
        self.collecting = False  # set by vbn_reference_pass

    @torch.no_grad()
    def set_reference(self, x: Tensor) -> None:
        """Reference statistics from ``x: Tensor[N, C, T]``, this layer's input for the reference batch."""
        check_shape(x, 3, "VirtualBatchNorm1d.set_reference", self.ref_mean.shape[1])
        x = x.detach().float()
        self.ref_mean.copy_(x.mean(dim=(0, 2), keepdim=True))
        self.ref_meansq.copy_((x**2).mean(dim=(0, 2), keepdim=True))
        self.ref_size.fill_(x.shape[0])

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "VirtualBatchNorm1d", self.ref_mean.shape[1])
        if self.collecting:
            # reference pass: remember the batch statistics, normalise the reference batch by them alone
            self.set_reference(x)
            mean = x.mean(dim=(0, 2), keepdim=True)
            meansq = (x**2).mean(dim=(0, 2), keepdim=True)
            std = torch.sqrt((meansq - mean**2).clamp_min(0) + self.eps)
            return (x - mean) / std * self.weight + self.bias
        if self.training and int(self.ref_size) == 0:
            self.set_reference(x.detach().float())
        n = max(int(self.ref_size), 1)
        coeff = 1.0 / (n + 1.0)
        mean = coeff * x.mean(dim=2, keepdim=True) + (1 - coeff) * self.ref_mean
        meansq = coeff * (x**2).mean(dim=2, keepdim=True) + (1 - coeff) * self.ref_meansq
        std = torch.sqrt((meansq - mean**2).clamp_min(0) + self.eps)
        return (x - mean) / std * self.weight + self.bias


@contextmanager
def vbn_reference_pass(module: nn.Module) -> Iterator[None]:
    """Within the block, every :class:`VirtualBatchNorm1d` in ``module`` takes its reference statistics from
    the batch that flows through it. Use: ``with vbn_reference_pass(disc): disc(ref_batch)``."""
    layers = [m for m in module.modules() if isinstance(m, VirtualBatchNorm1d)]
    for m in layers:
        m.collecting = True
    try:
        yield
    finally:
        for m in layers:
            m.collecting = False


def _norm_layer(norm: str, channels: int, dims: int) -> nn.Module:
    if norm in ("none", "spectral", "weight"):
        return nn.Identity()
    if norm == "batch":
        return nn.BatchNorm1d(channels) if dims == 1 else nn.BatchNorm2d(channels)
    if norm == "instance":
        cls = nn.InstanceNorm1d if dims == 1 else nn.InstanceNorm2d
        return cls(channels, affine=True)
    if norm == "virtual_batch":
        if dims != 1:
            raise ValueError("virtual batch norm is 1-D only")
        return VirtualBatchNorm1d(channels)
    raise ValueError(f"unknown norm '{norm}' (choose from {NORMS})")


def _wrap_weight(conv: nn.Module, norm: str) -> nn.Module:
    if norm == "spectral":
        return parametrizations.spectral_norm(conv)
    if norm == "weight":
        return parametrizations.weight_norm(conv)
    return conv


class ConvBlock1d(nn.Module):
    """Conv1d (+ norm + activation) with padding that maps ``T -> T / stride``.

    ``x: Tensor[B, in_channels, T] -> Tensor[B, out_channels, T / stride]``. Padding is ``reflect`` by
    default (``zeros`` as an option); it is applied explicitly so asymmetric padding works for any kernel.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, *,
                 norm: str = "none", activation: str = "prelu", negative_slope: float = 0.2,
                 padding_mode: str = "reflect", bias: bool = True, dilation: int = 1):
        super().__init__()
        if padding_mode not in ("reflect", "zeros", "replicate", "circular"):
            raise ValueError(f"unknown padding_mode '{padding_mode}' (reflect, zeros, replicate, circular)")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.padding = same_stride_padding(kernel_size, stride, dilation)
        self.padding_mode = "constant" if padding_mode == "zeros" else padding_mode
        conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride, dilation=dilation, bias=bias)
        self.conv = _wrap_weight(conv, norm)
        self.norm = _norm_layer(norm, out_channels, 1)
        self.act = make_activation(activation, out_channels, negative_slope)

    def preactivation(self, x: Tensor) -> Tensor:
        """``norm(conv(pad(x)))``: the block's output before its activation (SEGAN's skip source)."""
        check_shape(x, 3, "ConvBlock1d", self.in_channels)
        if any(self.padding):
            mode = self.padding_mode if x.shape[-1] > max(self.padding) else "constant"
            x = F.pad(x, self.padding, mode=mode)
        return self.norm(self.conv(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.preactivation(x))


class TransposedConvBlock1d(nn.Module):
    """ConvTranspose1d (+ norm + activation), ``Tensor[B, C_in, T] -> Tensor[B, C_out, T * stride]``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, *,
                 norm: str = "none", activation: str = "prelu", negative_slope: float = 0.2,
                 bias: bool = True):
        super().__init__()
        self.in_channels = in_channels
        pad = -(-(kernel_size - stride) // 2)  # ceil((k - s) / 2)
        output_padding = 2 * pad - (kernel_size - stride)
        if kernel_size < stride or output_padding >= stride:
            raise ValueError(f"kernel {kernel_size} too small for stride {stride}")
        conv = nn.ConvTranspose1d(in_channels, out_channels, kernel_size, stride, padding=pad,
                                  output_padding=output_padding, bias=bias)
        self.conv = _wrap_weight(conv, norm)
        self.norm = _norm_layer(norm, out_channels, 1)
        self.act = make_activation(activation, out_channels, negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "TransposedConvBlock1d", self.in_channels)
        return self.act(self.norm(self.conv(x)))


class UpsampleConvBlock1d(nn.Module):
    """Nearest-neighbour upsampling then a stride-1 conv (no checkerboard artefacts).

    ``Tensor[B, C_in, T] -> Tensor[B, C_out, T * scale]``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, scale: int, *,
                 norm: str = "none", activation: str = "prelu", negative_slope: float = 0.2,
                 padding_mode: str = "zeros", bias: bool = True):
        super().__init__()
        self.scale = scale
        self.conv = ConvBlock1d(in_channels, out_channels, kernel_size, 1, norm=norm, activation=activation,
                                negative_slope=negative_slope, padding_mode=padding_mode, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "UpsampleConvBlock1d", self.conv.in_channels)
        return self.conv(F.interpolate(x, scale_factor=self.scale, mode="nearest"))


class GatedConv1d(nn.Module):
    """Gated linear unit with a separate gate conv: ``norm(conv(x)) * sigmoid(norm(gate(x)))``.

    ``Tensor[B, C_in, T] -> Tensor[B, C_out, T / stride]`` (zero 'same' padding, as in CycleGAN-VC2).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, *,
                 norm: str = "instance", bias: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.padding = same_stride_padding(kernel_size, stride)
        self.conv = _wrap_weight(nn.Conv1d(in_channels, out_channels, kernel_size, stride, bias=bias), norm)
        self.gate = _wrap_weight(nn.Conv1d(in_channels, out_channels, kernel_size, stride, bias=bias), norm)
        self.norm = _norm_layer(norm, out_channels, 1)
        self.gate_norm = _norm_layer(norm, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "GatedConv1d", self.in_channels)
        x = F.pad(x, self.padding)
        return self.norm(self.conv(x)) * torch.sigmoid(self.gate_norm(self.gate(x)))


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


class GatedConv2d(nn.Module):
    """2-D gated linear unit: ``norm(conv(x)) * sigmoid(norm(gate(x)))``.

    ``Tensor[B, C_in, F, T] -> Tensor[B, C_out, F / sf, T / st]`` for stride ``(sf, st)`` (zero padding).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, *, norm: str = "instance", bias: bool = True):
        super().__init__()
        self.in_channels = in_channels
        (kf, kt), (sf, st) = _pair(kernel_size), _pair(stride)
        pf, pt = same_stride_padding(kf, sf), same_stride_padding(kt, st)
        self.padding = (pt[0], pt[1], pf[0], pf[1])
        self.conv = _wrap_weight(nn.Conv2d(in_channels, out_channels, (kf, kt), (sf, st), bias=bias), norm)
        self.gate = _wrap_weight(nn.Conv2d(in_channels, out_channels, (kf, kt), (sf, st), bias=bias), norm)
        self.norm = _norm_layer(norm, out_channels, 2)
        self.gate_norm = _norm_layer(norm, out_channels, 2)

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 4, "GatedConv2d", self.in_channels)
        x = F.pad(x, self.padding)
        return self.norm(self.conv(x)) * torch.sigmoid(self.gate_norm(self.gate(x)))


class ResidualGatedBlock1d(nn.Module):
    """``x + norm(conv1d(GLU(x)))``: the CycleGAN residual block. ``Tensor[B, C, T] -> Tensor[B, C, T]``."""

    def __init__(self, channels: int, hidden_channels: int, kernel_size: int = 3, *, norm: str = "instance"):
        super().__init__()
        self.channels = channels
        self.glu = GatedConv1d(channels, hidden_channels, kernel_size, norm=norm)
        self.padding = same_stride_padding(kernel_size, 1)
        self.out = _wrap_weight(nn.Conv1d(hidden_channels, channels, kernel_size), norm)
        self.out_norm = _norm_layer(norm, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "ResidualGatedBlock1d", self.channels)
        return x + self.out_norm(self.out(F.pad(self.glu(x), self.padding)))


class PixelShuffle1d(nn.Module):
    """Sub-pixel upsampling in time: ``Tensor[B, C * r, T] -> Tensor[B, C, T * r]``."""

    def __init__(self, factor: int):
        super().__init__()
        self.factor = factor

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "PixelShuffle1d")
        b, c, t = x.shape
        r = self.factor
        if c % r:
            raise ValueError(f"PixelShuffle1d({r}) needs channels divisible by {r}, "
                             f"got shape {tuple(x.shape)}")
        return x.reshape(b, c // r, r, t).permute(0, 1, 3, 2).reshape(b, c // r, t * r)


class PixelUnshuffle1d(nn.Module):
    """Inverse of :class:`PixelShuffle1d`: ``Tensor[B, C, T * r] -> Tensor[B, C * r, T]``."""

    def __init__(self, factor: int):
        super().__init__()
        self.factor = factor

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 3, "PixelUnshuffle1d")
        b, c, t = x.shape
        r = self.factor
        if t % r:
            raise ValueError(f"PixelUnshuffle1d({r}) needs length divisible by {r}, "
                             f"got shape {tuple(x.shape)}")
        return x.reshape(b, c, t // r, r).permute(0, 1, 3, 2).reshape(b, c * r, t // r)


class PhaseShuffle(nn.Module):
    """Phase shuffle (Donahue et al. 2019): shift in time by a random ``k in [-n, n]``, reflect-padded.

    ``Tensor[B, C, T] -> Tensor[B, C, T]``. ``per_sample=True`` draws one shift per batch element (the
    reference code draws one per batch), vectorised with ``gather``. Identity in eval mode or when n == 0.
    ``mode="circular"`` wraps the shifted-out samples around instead (segan_pytorch's random shift).
    """

    def __init__(self, n: int, per_sample: bool = False, mode: str = "reflect"):
        super().__init__()
        if mode not in ("reflect", "circular"):
            raise ValueError(f"unknown phase shuffle mode '{mode}' (reflect, circular)")
        self.n, self.per_sample, self.mode = n, per_sample, mode

    def forward(self, x: Tensor, shifts: Tensor | int | None = None) -> Tensor:
        """``shifts`` (one, or one per example, in ``[-n, n]``) replaces the random draw, even in eval."""
        check_shape(x, 3, "PhaseShuffle")
        if (not self.training and shifts is None) or self.n == 0:
            return x
        b, c, t = x.shape
        n = self.n
        if shifts is None:
            count = b if self.per_sample else 1
            shifts = torch.randint(-n, n + 1, (count,), device=x.device)
        else:
            shifts = torch.as_tensor(shifts, device=x.device).long().reshape(-1)
            if shifts.numel() not in (1, b):
                raise ValueError(f"PhaseShuffle needs 1 or {b} shifts, got {shifts.numel()}")
            if int(shifts.abs().max()) > n:
                raise ValueError(f"PhaseShuffle({n}) shifts must lie in [-{n}, {n}], got {shifts.tolist()}")
        pad_mode = "circular" if self.mode == "circular" else "reflect" if t > n else "replicate"
        padded = F.pad(x, (n, n), mode=pad_mode)
        # output[t] = input[t - k] = padded[t - k + n]
        if shifts.numel() == 1:
            # one shift for the batch (the reference): a slice, whose backward (and the double backward of
            # WGAN-GP) is a cheap pad instead of gather's scatter-add (benchmarks/wavegan_step.py)
            k = int(shifts)
            return padded[:, :, n - k : n - k + t]
        shifts = shifts.to(x.device)
        index = torch.arange(t, device=x.device).unsqueeze(0) - shifts.unsqueeze(1) + n  # [B, T]
        return padded.gather(2, index.unsqueeze(1).expand(b, c, t))


class SkipConnection(nn.Module):
    """Encoder-to-decoder skip: transform the encoder feature, then merge with the decoder feature.

    ``kind``: ``alpha`` (learned per-channel scale), ``constant`` (identity), ``conv`` (1x1 conv).
    ``merge``: ``sum`` (same channels) or ``concat`` (output has decoder + skip channels).
    ``forward(decoder: Tensor[B, Cd, T], skip: Tensor[B, Cs, T])``.
    """

    def __init__(self, channels: int, kind: str = "alpha", merge: str = "concat", init: str = "one"):
        super().__init__()
        if kind not in ("alpha", "constant", "conv") or merge not in ("sum", "concat"):
            raise ValueError(f"unknown skip kind/merge '{kind}'/'{merge}'")
        inits = {"one": torch.ones, "zero": torch.zeros, "randn": torch.randn}
        if kind == "alpha" and init not in inits:
            raise ValueError(f"unknown skip init '{init}' (one, zero, randn)")
        self.channels, self.kind, self.merge = channels, kind, merge
        if kind == "alpha":
            start = inits[init](1, channels, 1)
            self.alpha = nn.Parameter(start)
        elif kind == "conv":
            self.conv = nn.Conv1d(channels, channels, 1)

    def forward(self, decoder: Tensor, skip: Tensor) -> Tensor:
        check_shape(skip, 3, "SkipConnection (skip)", self.channels)
        check_shape(decoder, 3, "SkipConnection (decoder)", self.channels if self.merge == "sum" else None)
        if decoder.shape[0] != skip.shape[0]:
            raise ValueError(f"skip batch {skip.shape[0]} differs from decoder batch {decoder.shape[0]}")
        if decoder.shape[-1] != skip.shape[-1]:
            raise ValueError(f"skip length {skip.shape[-1]} differs from decoder length {decoder.shape[-1]}")
        if self.kind == "alpha":
            skip = skip * self.alpha
        elif self.kind == "conv":
            skip = self.conv(skip)
        return decoder + skip if self.merge == "sum" else torch.cat([decoder, skip], dim=1)
