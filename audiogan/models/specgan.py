"""SpecGAN (Donahue, McAuley, Puckette, ICLR 2019, sec. 4): a DCGAN-like GAN on 128 x 128 spectrograms,
turned into audio by Griffin-Lim.

Representation (the paper's and the reference code's, chrisdonahue/wavegan ``specgan.py``): the STFT of a
16384-sample slice at 16 kHz with a 256-sample Hann window and hop 128 (``center=True``), magnitude, the
Nyquist bin and the last frame dropped -> 128 bins x 128 frames (1.03 s); ``log(|X| + 1e-6)``; normalised per
frequency bin by the training set's mean and standard deviation, clipped at +-3 sigma and divided by 3,
so values lie in [-1, 1] like the generator's tanh output.

Generator ``z: Tensor[B, latent_dim]`` (uniform in [-1, 1]; plus ``labels: Tensor[B]`` when conditional)
``-> Tensor[B, 1, 128, 128]``: dense to ``4 x 4 x 16d``, ReLU, five 5x5 stride-2 transposed convs
``16d -> 8d -> 4d -> 2d -> d -> 1`` (ReLU, tanh last). Discriminator ``Tensor[B, 1, 128, 128] -> Tensor[B]``:
five 5x5 stride-2 convs ``1 -> d -> 2d -> 4d -> 8d -> 16d`` with LeakyReLU 0.2, flatten, dense logit (plus the
projection discriminator's class term when conditional, as in :mod:`audiogan.models.wavegan`).

Inversion: the normalisation undone, ``exp``, the dropped bin and frame restored (zeros / a copy of the last
frame) and ``torchaudio.transforms.GriffinLim`` (deterministic: zero initial phase) to 16384 samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from audiogan.models.wavegan import glorot_init_
from audiogan.nn.blocks import check_shape
from audiogan.nn.blocks2d import ConvBlock2d, TransposedConvBlock2d
from audiogan.nn.label_conditioning import ClassProjection, LabelToLatent

SLICE_LEN = 16384
N_FFT, HOP = 256, 128
BINS, FRAMES = 128, 128
LOG_EPS = 1e-6
CLIP_SIGMA = 3.0


class LogMagnitude(nn.Module):
    """``audio: Tensor[B, 1, 16384] -> Tensor[B, 1, 128, 128]``: ``log(|STFT| + 1e-6)``, unnormalised."""

    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)

    def forward(self, audio: Tensor) -> Tensor:
        check_shape(audio, 3, "LogMagnitude", 1)
        if audio.shape[-1] != SLICE_LEN:
            raise ValueError(f"LogMagnitude expects {SLICE_LEN} samples, got {audio.shape[-1]}")
        spec = torch.stft(audio[:, 0].float(), N_FFT, HOP, window=self.window, center=True,
                          pad_mode="reflect", return_complex=True)  # [B, 129, 129]
        return torch.log(spec.abs()[:, :BINS, :FRAMES] + LOG_EPS).unsqueeze(1)


def bin_statistics(log_mags: Tensor) -> tuple[Tensor, Tensor]:
    """Per-bin mean and std of ``Tensor[N, 1, 128, 128]`` over clips and frames: two ``Tensor[128]``."""
    check_shape(log_mags, 4, "bin_statistics", 1)
    x = log_mags.double().transpose(0, 2).reshape(BINS, -1)  # [128, N * 128]
    return x.mean(1).float(), x.std(1).clamp_min(1e-5).float()


def normalize(log_mag: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """``Tensor[B, 1, 128, 128]`` -> per-bin standardised, clipped at +-3 sigma, in [-1, 1]."""
    z = (log_mag - mean.view(1, 1, -1, 1)) / std.view(1, 1, -1, 1)
    return z.clamp(-CLIP_SIGMA, CLIP_SIGMA) / CLIP_SIGMA


def denormalize(x: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """Inverse of :func:`normalize` (up to the clipping): ``[-1, 1]`` -> log magnitude."""
    return x * CLIP_SIGMA * std.view(1, 1, -1, 1) + mean.view(1, 1, -1, 1)


class SpecInverter(nn.Module):
    """``x: Tensor[B, 1, 128, 128]`` (normalised, in [-1, 1]) ``-> audio: Tensor[B, 1, 16384]`` by
    torchaudio's Griffin-Lim with ``n_iter`` iterations, given the training set's per-bin ``mean``/``std``."""

    def __init__(self, mean: Tensor, std: Tensor, n_iter: int = 32):
        super().__init__()
        import torchaudio

        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).reshape(BINS))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).reshape(BINS))
        self.griffin_lim = torchaudio.transforms.GriffinLim(
            n_fft=N_FFT, n_iter=n_iter, hop_length=HOP, power=1.0, length=SLICE_LEN, rand_init=False
        )

    def magnitude(self, x: Tensor) -> Tensor:
        """``Tensor[B, 1, 128, 128] -> Tensor[B, 129, 129]``: the full linear-magnitude STFT grid."""
        check_shape(x, 4, "SpecInverter", 1)
        mag = torch.exp(denormalize(x.float(), self.mean, self.std))[:, 0]
        mag = F.pad(mag, (0, 0, 0, 1))  # the Nyquist bin: silent
        return torch.cat([mag, mag[..., -1:]], dim=-1)  # the last (centred) frame: a copy of its neighbour

    def forward(self, x: Tensor) -> Tensor:
        return self.griffin_lim(self.magnitude(x)).unsqueeze(1)


class SpecGANGenerator(nn.Module):
    """``z: Tensor[B, latent_dim]`` (+ ``labels: Tensor[B]`` if conditional) ``-> Tensor[B, 1, 128, 128]``."""

    def __init__(self, dim: int = 64, latent_dim: int = 100, kernel_size: int = 5, batchnorm: bool = False,
                 num_classes: int = 0, embed_dim: int = 0):
        super().__init__()
        self.latent_dim, self.num_classes, self.start_channels = latent_dim, num_classes, 16 * dim
        self.condition = LabelToLatent(latent_dim, num_classes, embed_dim)
        self.project = nn.Linear(self.condition.out_dim, 16 * self.start_channels)
        self.project_norm = nn.BatchNorm2d(self.start_channels) if batchnorm else nn.Identity()
        widths = [16 * dim // 2**i for i in range(5)]  # 16d .. d
        norm = "batch" if batchnorm else "none"
        layers = [TransposedConvBlock2d(a, b, kernel_size, 2, norm=norm, activation="relu")
                  for a, b in zip(widths[:-1], widths[1:])]
        layers.append(TransposedConvBlock2d(widths[-1], 1, kernel_size, 2, activation="tanh"))
        self.layers = nn.Sequential(*layers)
        glorot_init_(self)

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``Tensor[n, latent_dim]`` uniform in [-1, 1]."""
        z = torch.rand(n, self.latent_dim, generator=generator)
        return z.mul_(2).sub_(1).to(self.project.weight.device)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"SpecGANGenerator expects z: Tensor[B, {self.latent_dim}], got {tuple(z.shape)}"
            )
        x = self.project(self.condition(z, labels)).view(z.shape[0], self.start_channels, 4, 4)
        return self.layers(F.relu(self.project_norm(x)))


class SpecGANDiscriminator(nn.Module):
    """``x: Tensor[B, 1, 128, 128]`` (and ``labels: Tensor[B]`` when conditional) ``-> Tensor[B]``."""

    def __init__(self, dim: int = 64, kernel_size: int = 5, batchnorm: bool = False,
                 negative_slope: float = 0.2, num_classes: int = 0):
        super().__init__()
        self.num_classes = num_classes
        widths = [1] + [dim * 2**i for i in range(5)]
        self.blocks = nn.Sequential(*[
            ConvBlock2d(a, b, kernel_size, 2, norm="batch" if batchnorm and i else "none",
                        activation="leaky_relu", negative_slope=negative_slope)
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]))
        ])
        features = 16 * widths[-1]
        self.out = nn.Linear(features, 1)
        self.projection = ClassProjection(features, num_classes)
        glorot_init_(self)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        check_shape(x, 4, "SpecGANDiscriminator", 1)
        if tuple(x.shape[-2:]) != (BINS, FRAMES):
            raise ValueError(
                f"SpecGANDiscriminator expects {BINS} x {FRAMES} spectrograms, got {tuple(x.shape)}"
            )
        h = self.blocks(x).flatten(1)
        return self.out(h).squeeze(1) + self.projection(h, labels)
