"""Discriminators of spectral enhancers: a PESQ-predicting metric discriminator and multi-resolution
spectral discriminators.

:class:`MetricDiscriminator` (MetricGAN+, Fu et al. 2021; CMGAN, Cao et al. 2022) sees an (estimate,
reference) pair of compressed magnitude spectrograms and predicts the estimate's normalised PESQ in
[0, 1]: it is trained by regression on real PESQ values, and the generator is pushed towards D = 1. Its
output is MetricGAN+'s learnable sigmoid ``beta * sigmoid(slope * x)`` with ``beta = 1.2``, so 1.0 lies
inside the range rather than at its asymptote.

:class:`SpectralDiscriminators` (UnivNet's multi-resolution spectrogram discriminator, Jang et al. 2021)
judges a waveform's compressed magnitude at several STFT resolutions; it returns one logit map per
resolution, for the loss zoo of :mod:`audiogan.nn.losses`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrizations


class LearnableSigmoid(nn.Module):
    """``beta * sigmoid(slope * x)`` with a learned per-feature slope (MetricGAN+)."""

    def __init__(self, features: int = 1, beta: float = 1.2):
        super().__init__()
        self.beta = beta
        self.slope = nn.Parameter(torch.ones(features))

    def forward(self, x: Tensor) -> Tensor:
        return self.beta * torch.sigmoid(self.slope * x)


class MetricDiscriminator(nn.Module):
    """``forward(est: Tensor[B, F, T], ref: Tensor[B, F, T]) -> Tensor[B]``: predicted normalised PESQ.

    Inputs are (compressed) magnitude spectrograms of the same shape. Four stride-2 4x4 convolutions with
    spectral norm, instance norm and PReLU (``channels`` x 1, 2, 4, 8), global max pooling, two linear
    layers and a learnable sigmoid, as in CMGAN's discriminator.
    """

    def __init__(self, channels: int = 16):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 2
        for mult in (1, 2, 4, 8):
            c = channels * mult
            layers += [
                parametrizations.spectral_norm(nn.Conv2d(c_in, c, 4, 2, 1, bias=False)),
                nn.InstanceNorm2d(c, affine=True),
                nn.PReLU(c),
            ]
            c_in = c
        self.convs = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
            parametrizations.spectral_norm(nn.Linear(c_in, c_in // 2)),
            nn.Dropout(0.3),
            nn.PReLU(c_in // 2),
            parametrizations.spectral_norm(nn.Linear(c_in // 2, 1)),
            LearnableSigmoid(1),
        )

    def forward(self, est: Tensor, ref: Tensor) -> Tensor:
        if est.shape != ref.shape or est.dim() != 3:
            raise ValueError(f"MetricDiscriminator expects two Tensor[B, F, T] of one shape, got "
                             f"{tuple(est.shape)} and {tuple(ref.shape)}")
        if est.shape[-1] < 16 or est.shape[-2] < 16:
            raise ValueError(f"MetricDiscriminator needs >= 16 bins and frames, got {tuple(est.shape)}")
        return self.head(self.convs(torch.stack([est, ref], dim=1))).squeeze(-1)


class _SpectrogramDiscriminator(nn.Module):
    """One resolution: ``Tensor[B, T] -> logits Tensor[B, 1, F', T']`` from the compressed magnitude."""

    def __init__(self, n_fft: int, hop: int, channels: int, power: float):
        super().__init__()
        self.n_fft, self.hop, self.power = n_fft, hop, power
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        c = channels

        def conv(c_in: int, c_out: int, k: tuple[int, int], s: tuple[int, int]) -> nn.Module:
            pad = (k[0] // 2, k[1] // 2)
            return parametrizations.weight_norm(nn.Conv2d(c_in, c_out, k, s, pad))

        self.convs = nn.ModuleList([
            conv(1, c, (7, 5), (2, 1)),
            conv(c, c, (5, 3), (2, 1)),
            conv(c, c, (5, 3), (2, 1)),
            conv(c, c, (3, 3), (1, 1)),
        ])
        self.out = conv(c, 1, (3, 3), (1, 1))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, wave: Tensor) -> Tensor:
        with torch.autocast(wave.device.type, enabled=False):
            spec = torch.stft(wave.float(), self.n_fft, self.hop, window=self.window, return_complex=True)
            x = spec.abs().clamp_min(1e-8).pow(self.power).unsqueeze(1)  # [B, 1, F, T]
        for conv in self.convs:
            x = self.act(conv(x))
        return self.out(x)


class SpectralDiscriminators(nn.Module):
    """Multi-resolution spectrogram discriminators: ``Tensor[B, T] -> list of logit maps``, one per
    ``(n_fft, hop)`` in ``resolutions``."""

    def __init__(self, resolutions: Sequence[Sequence[int]], channels: int = 16, power: float = 0.3):
        super().__init__()
        self.discs = nn.ModuleList(
            _SpectrogramDiscriminator(int(n), int(h), channels, power) for n, h in resolutions
        )

    def forward(self, wave: Tensor) -> list[Tensor]:
        return [d(wave) for d in self.discs]
