"""Time-frequency building blocks of compact spectral enhancers (GTCRN-class, Rong et al., ICASSP 2024).

Layout: ``x: Tensor[B, C, T, F]`` (channels, frames, frequency bins), as in GTCRN, so a frequency
convolution is a ``(1, k)`` kernel and a causal time convolution pads only on the left of ``T``. Every block
here is causal in time (no look-ahead), so a generator built from them can later run frame by frame.

* :class:`ERBBands` - fixed (not learned) ERB-like band merging of the high bins and its transpose.
* :class:`SubbandUnfold` - each bin sees its ``k`` neighbours as extra channels (GTCRN's SFE).
* :class:`FreqConvBlock` - a strided (grouped) conv or transposed conv along frequency + BN + PReLU/Tanh.
* :class:`GroupedTemporalConvBlock` - GTCRN's GT-Conv: half the channels go through a pointwise /
  dilated causal depthwise / pointwise bottleneck with temporal recurrent attention, then a channel shuffle.
* :class:`GroupedGRU` / :class:`DualPathGRU` - grouped GRUs; intra-frame (across frequency, bidirectional)
  then inter-frame (across time, causal), each with a linear, LayerNorm and a residual connection.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _hz_to_erb(hz: np.ndarray) -> np.ndarray:
    return 21.4 * np.log10(0.00437 * hz + 1.0)


def _erb_to_hz(erb: np.ndarray) -> np.ndarray:
    return (10 ** (erb / 21.4) - 1.0) / 0.00437


def erb_filterbank(n_fft: int, low_bins: int, bands: int, sample_rate: int = 16000) -> np.ndarray:
    """Triangular ERB-spaced filters ``[bands, n_fft // 2 + 1 - low_bins]`` over the bins above ``low_bins``.

    Neighbouring triangles overlap so their columns sum to one (a partition of unity): the transpose
    spreads a band value back over its bins. Same construction as GTCRN's ERB module.
    """
    n_bins = n_fft // 2 + 1
    if not 0 < low_bins < n_bins or not 2 <= bands <= n_bins - low_bins:
        raise ValueError(f"ERB bands: need 0 < low_bins < {n_bins} and 2 <= bands <= {n_bins} - low_bins")
    points = np.linspace(_hz_to_erb(low_bins / n_fft * sample_rate), _hz_to_erb(sample_rate / 2), bands)
    edges = np.round(_erb_to_hz(points) / sample_rate * n_fft).astype(int)
    fb = np.zeros((bands, n_bins), np.float64)
    eps = 1e-12
    for i in range(bands - 1):
        a, b = edges[i], edges[i + 1]
        k = np.arange(a, b)
        fb[i, a:b] += (b - k + eps) / (b - a + eps)  # falling edge of band i
        fb[i + 1, a:b] += (k - a + eps) / (b - a + eps)  # rising edge of band i + 1
    fb[-1, edges[-1]:] = 1.0
    fb[0, : edges[0]] = 1.0
    return np.abs(fb[:, low_bins:]).astype(np.float32)


class ERBBands(nn.Module):
    """Keep the ``low_bins`` lowest bins, merge the rest into ``bands`` ERB bands (a fixed linear map).

    ``merge: Tensor[..., n_fft//2+1] -> Tensor[..., low_bins + bands]``; ``split`` maps back with the
    transpose. The matrix is a buffer (no parameters, not trained).
    """

    def __init__(self, n_fft: int, low_bins: int, bands: int, sample_rate: int = 16000):
        super().__init__()
        self.low_bins = low_bins
        self.n_bins = n_fft // 2 + 1
        self.register_buffer("fb", torch.from_numpy(erb_filterbank(n_fft, low_bins, bands, sample_rate)))

    @property
    def out_bins(self) -> int:
        return self.low_bins + self.fb.shape[0]

    def merge(self, x: Tensor) -> Tensor:
        low, high = x[..., : self.low_bins], x[..., self.low_bins :]
        return torch.cat([low, high @ self.fb.t().to(x.dtype)], dim=-1)

    def split(self, x: Tensor) -> Tensor:
        low, high = x[..., : self.low_bins], x[..., self.low_bins :]
        return torch.cat([low, high @ self.fb.to(x.dtype)], dim=-1)


class SubbandUnfold(nn.Module):
    """``Tensor[B, C, T, F] -> Tensor[B, C * k, T, F]``: each bin gets its ``k`` neighbours (zero-padded)."""

    def __init__(self, k: int = 3):
        super().__init__()
        if k < 1 or k % 2 == 0:
            raise ValueError(f"SubbandUnfold needs an odd k >= 1, got {k}")
        self.k = k

    def forward(self, x: Tensor) -> Tensor:
        if self.k == 1:
            return x
        b, c, t, f = x.shape
        h = self.k // 2
        padded = F.pad(x, (h, h))
        # stack shifted views (cheaper than nn.Unfold's im2col for a 1-D neighbourhood)
        parts = [padded[..., i : i + f] for i in range(self.k)]
        return torch.stack(parts, dim=2).reshape(b, c * self.k, t, f)


class FreqConvBlock(nn.Module):
    """Strided conv (or transposed conv) along frequency, then BatchNorm and PReLU (Tanh when ``last``).

    ``Tensor[B, C_in, T, F] -> Tensor[B, C_out, T, F']`` with ``F' = (F - 1) // stride + 1`` (conv) or
    ``F' = (F - 1) * stride + 1`` (transposed), for an odd kernel.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int = 5, stride: int = 2, *, groups: int = 1,
                 transposed: bool = False, last: bool = False):
        super().__init__()
        conv = nn.ConvTranspose2d if transposed else nn.Conv2d
        self.conv = conv(c_in, c_out, (1, kernel), (1, stride), padding=(0, kernel // 2), groups=groups)
        self.norm = nn.Identity() if last else nn.BatchNorm2d(c_out)
        self.act = nn.Tanh() if last else nn.PReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.norm(self.conv(x)))


class TemporalRecurrentAttention(nn.Module):
    """Per-frame channel gains from a causal GRU over the band energy (GTCRN's TRA).

    ``Tensor[B, C, T, F] -> Tensor[B, C, T, F]``.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.gru = nn.GRU(channels, 2 * channels, batch_first=True)
        self.fc = nn.Linear(2 * channels, channels)

    def forward(self, x: Tensor) -> Tensor:
        energy = x.pow(2).mean(dim=-1).transpose(1, 2)  # [B, T, C]
        h, _ = self.gru(energy)
        gain = torch.sigmoid(self.fc(h)).transpose(1, 2).unsqueeze(-1)  # [B, C, T, 1]
        return x * gain


class TemporalConvAttention(nn.Module):
    """A cheaper, convolutional TRA: per-frame channel gains from a causal depthwise conv over
    ``kernel`` frames of the band energy, then a pointwise conv. ``Tensor[B, C, T, F] -> Tensor[B, C, T, F]``.

    A GRU steps through the frames one at a time, and on CPU its training cost is dominated by those
    sequential steps; this sees a fixed ``kernel``-frame past instead, at a fraction of the time.
    """

    def __init__(self, channels: int, kernel: int = 8):
        super().__init__()
        self.pad = kernel - 1
        self.depth = nn.Conv1d(channels, channels, kernel, groups=channels)
        self.point = nn.Conv1d(channels, channels, 1)
        self.act = nn.PReLU()

    def forward(self, x: Tensor) -> Tensor:
        energy = x.pow(2).mean(dim=-1)  # [B, C, T]
        h = self.point(self.act(self.depth(F.pad(energy, (self.pad, 0)))))
        return x * torch.sigmoid(h).unsqueeze(-1)


def channel_shuffle(a: Tensor, b: Tensor) -> Tensor:
    """Interleave the channels of two ``Tensor[B, C, T, F]`` (ShuffleNet's shuffle with 2 groups)."""
    x = torch.stack([a, b], dim=2)  # [B, C, 2, T, F]
    return x.reshape(a.shape[0], -1, *a.shape[2:])


class GroupedTemporalConvBlock(nn.Module):
    """GTCRN's GT-Conv block, causal in time. ``Tensor[B, C, T, F] -> Tensor[B, C, T, F]`` (C even).

    Half the channels pass unchanged; the other half go through subband unfolding (x3), a pointwise conv
    to ``hidden``, a depthwise ``(kt, 3)`` conv dilated ``dilation`` frames in time with left-only padding,
    a pointwise conv back, and temporal attention (``tra``: ``gru``, GTCRN's recurrent one, or ``conv``,
    :class:`TemporalConvAttention`); the two halves are then shuffled.
    """

    def __init__(self, channels: int, hidden: int, dilation: int = 1, kernel_t: int = 3, tra: str = "gru"):
        super().__init__()
        if tra not in ("gru", "conv"):
            raise ValueError(f"unknown temporal attention '{tra}' (gru, conv)")
        if channels % 2:
            raise ValueError(f"GroupedTemporalConvBlock needs an even channel count, got {channels}")
        half = channels // 2
        self.pad_t = dilation * (kernel_t - 1)
        self.sfe = SubbandUnfold(3)
        self.point1 = nn.Sequential(nn.Conv2d(3 * half, hidden, 1), nn.BatchNorm2d(hidden), nn.PReLU())
        self.depth = nn.Conv2d(hidden, hidden, (kernel_t, 3), padding=(0, 1), dilation=(dilation, 1),
                               groups=hidden)
        self.depth_post = nn.Sequential(nn.BatchNorm2d(hidden), nn.PReLU())
        self.point2 = nn.Sequential(nn.Conv2d(hidden, half, 1), nn.BatchNorm2d(half))
        self.tra = TemporalRecurrentAttention(half) if tra == "gru" else TemporalConvAttention(half)

    def forward(self, x: Tensor) -> Tensor:
        keep, work = x.chunk(2, dim=1)
        h = self.point1(self.sfe(work))
        h = self.depth_post(self.depth(F.pad(h, (0, 0, self.pad_t, 0))))
        h = self.tra(self.point2(h))
        return channel_shuffle(h, keep)


class GroupedGRU(nn.Module):
    """``groups`` independent GRUs over channel slices (``groups``x fewer weights and MACs than one GRU).

    ``Tensor[N, L, input_size] -> Tensor[N, L, hidden_size]``; ``hidden_size`` counts both directions when
    ``bidirectional``.
    """

    def __init__(self, input_size: int, hidden_size: int, groups: int = 2, bidirectional: bool = False):
        super().__init__()
        dirs = 2 if bidirectional else 1
        if input_size % groups or hidden_size % (groups * dirs):
            raise ValueError(f"GroupedGRU: sizes {input_size}/{hidden_size} do not split in {groups} groups")
        self.groups = groups
        self.rnns = nn.ModuleList(
            nn.GRU(input_size // groups, hidden_size // (groups * dirs), batch_first=True,
                   bidirectional=bidirectional)
            for _ in range(groups)
        )

    def forward(self, x: Tensor) -> Tensor:
        parts = x.chunk(self.groups, dim=-1)
        return torch.cat([rnn(p)[0] for rnn, p in zip(self.rnns, parts)], dim=-1)


class DualPathGRU(nn.Module):
    """Intra-frame (bidirectional, across frequency) then inter-frame (causal, across time) grouped GRUs.

    ``Tensor[B, C, T, F] -> Tensor[B, C, T, F]``; each path is GRU -> Linear -> LayerNorm over (F, C),
    added to its input.
    """

    def __init__(self, channels: int, bins: int, groups: int = 2):
        super().__init__()
        self.intra = GroupedGRU(channels, channels, groups, bidirectional=True)
        self.intra_fc = nn.Linear(channels, channels)
        self.intra_ln = nn.LayerNorm((bins, channels))
        self.inter = GroupedGRU(channels, channels, groups, bidirectional=False)
        self.inter_fc = nn.Linear(channels, channels)
        self.inter_ln = nn.LayerNorm((bins, channels))

    def forward(self, x: Tensor) -> Tensor:
        b, c, t, f = x.shape
        x = x.permute(0, 2, 3, 1)  # [B, T, F, C]
        h = self.intra_fc(self.intra(x.reshape(b * t, f, c))).reshape(b, t, f, c)
        x = x + self.intra_ln(h)
        y = x.transpose(1, 2).reshape(b * f, t, c)  # [B*F, T, C]
        h = self.inter_fc(self.inter(y)).reshape(b, f, t, c).transpose(1, 2)
        x = x + self.inter_ln(h)
        return x.permute(0, 3, 1, 2)
