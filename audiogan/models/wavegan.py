"""WaveGAN (Donahue, McAuley, Puckette, ICLR 2019): a port of the reference TensorFlow code
(chrisdonahue/wavegan, ``wavegan.py`` and ``train_wavegan.py``), built from the shared blocks.

Generator ``z: Tensor[B, 100]`` (uniform in [-1, 1]) -> ``x: Tensor[B, 1, slice_len]`` in [-1, 1]:
dense to ``16 x 16d`` (``32d`` for the longer slices), then transposed convs (kernel 25, stride 4) with ReLU
halving the channels, tanh output. Slice lengths as in the reference:

* 16384: 5 upsampling layers ``16d -> 8d -> 4d -> 2d -> d -> 1``;
* 32768: ``32d -> 16d -> 8d -> 4d -> 2d -> d`` and a 6th layer of stride 2 ``d -> 1``;
* 65536: the same with a 6th layer of stride 4.

``upsample="nn"`` replaces each transposed conv by nearest-neighbour upsampling and a stride-1 conv
(the reference's ``--wavegan_genr_upsample nn``). An optional learned 512-tap FIR post-processing filter
(``--wavegan_genr_pp``) follows the tanh.

Discriminator ``x: Tensor[B, 1, slice_len] -> logits: Tensor[B]``: strided convs (kernel 25, stride 4)
``1 -> d -> 2d -> 4d -> 8d -> 16d`` (+ ``32d`` with stride 2 or 4 for the longer slices) with LeakyReLU 0.2,
phase shuffle after the first four layers and a dense logit.

Class conditioning (``num_classes > 0``; not in the paper): the generator's latent is joined by a learned
``embed_dim``-sized embedding of the requested class before the dense layer, and the discriminator is a
projection discriminator (Miyato & Koyama 2018): its logit gains the inner product of a class embedding with
the flattened last-layer features. ``num_classes == 0`` adds no parameters, so unconditional checkpoints load.

Differences from the TF code, on purpose: PyTorch's transposed conv with 'same'-length output aligns its
kernel one sample later than TF's 'SAME' transposed conv (a fixed shift of a learned kernel, no change in
capacity); everything else (widths, init, padding of the strided convs) follows the reference.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from audiogan.nn.blocks import (
    ConvBlock1d,
    PhaseShuffle,
    TransposedConvBlock1d,
    UpsampleConvBlock1d,
    check_shape,
)
from audiogan.nn.label_conditioning import ClassProjection, LabelToLatent

SLICE_LENS = (16384, 32768, 65536)
UPSAMPLE_MODES = ("zeros", "nn")


def _last_stride(slice_len: int) -> int | None:
    """Stride of the extra 6th layer for the longer slices (None for 16384)."""
    if slice_len not in SLICE_LENS:
        raise ValueError(f"slice_len must be one of {SLICE_LENS}, got {slice_len}")
    return {16384: None, 32768: 2, 65536: 4}[slice_len]


def glorot_init_(module: nn.Module) -> None:
    """TF's default init (Glorot-uniform kernels, zero biases), which the reference code relies on."""
    for m in module.modules():
        if isinstance(m, nn.Conv1d | nn.ConvTranspose1d | nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class WaveGANGenerator(nn.Module):
    """``z: Tensor[B, latent_dim]`` (and ``labels: Tensor[B]`` when conditional) ``-> Tensor[B, channels,
    slice_len]``."""

    def __init__(
        self,
        slice_len: int = 16384,
        dim: int = 64,
        latent_dim: int = 100,
        kernel_size: int = 25,
        channels: int = 1,
        upsample: str = "zeros",
        batchnorm: bool = False,
        post_proc_taps: int = 0,
        num_classes: int = 0,
        embed_dim: int = 0,
    ):
        super().__init__()
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, got '{upsample}'")
        last = _last_stride(slice_len)
        self.slice_len, self.latent_dim, self.channels = slice_len, latent_dim, channels
        self.num_classes = num_classes
        mul = 16 if last is None else 32
        self.start_channels = dim * mul
        self.condition = LabelToLatent(latent_dim, num_classes, embed_dim)
        self.project = nn.Linear(self.condition.out_dim, 16 * self.start_channels)
        self.project_norm = nn.BatchNorm1d(self.start_channels) if batchnorm else nn.Identity()
        norm = "batch" if batchnorm else "none"

        def up(c_in: int, c_out: int, stride: int, activation: str, layer_norm: str) -> nn.Module:
            if upsample == "zeros":
                return TransposedConvBlock1d(
                    c_in, c_out, kernel_size, stride, norm=layer_norm, activation=activation
                )
            return UpsampleConvBlock1d(
                c_in, c_out, kernel_size, stride, norm=layer_norm, activation=activation, padding_mode="zeros"
            )

        widths = [dim * mul // 2**i for i in range(5 if last is None else 6)]  # 16d..d or 32d..d
        layers = [up(a, b, 4, "relu", norm) for a, b in zip(widths[:-1], widths[1:])]
        layers.append(up(widths[-1], channels, last or 4, "tanh", "none"))  # no norm on the output layer
        self.layers = nn.Sequential(*layers)
        # reference: tf.layers.conv1d(G_z, 1, pp_len, use_bias=False, padding='same') after the tanh
        self.post_proc = nn.Conv1d(channels, channels, post_proc_taps, bias=False) if post_proc_taps else None
        self.post_proc_padding = (
            ((post_proc_taps - 1) // 2, post_proc_taps // 2) if post_proc_taps else (0, 0)
        )
        glorot_init_(self)

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``Tensor[n, latent_dim]`` uniform in [-1, 1] as in the reference."""
        z = torch.rand(n, self.latent_dim, generator=generator)
        return z.mul_(2).sub_(1).to(self.project.weight.device)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"WaveGANGenerator expects z: Tensor[B, {self.latent_dim}], got {tuple(z.shape)}"
            )
        z = self.condition(z, labels)
        x = (
            self.project(z).view(z.shape[0], 16, self.start_channels).transpose(1, 2)
        )  # TF reshape is [B, 16, C]
        x = F.relu(self.project_norm(x))
        x = self.layers(x)
        if self.post_proc is not None:
            x = self.post_proc(F.pad(x, self.post_proc_padding))
        return x


class WaveGANDiscriminator(nn.Module):
    """``x: Tensor[B, channels, slice_len]`` (and ``labels: Tensor[B]`` when conditional) ``-> Tensor[B]``
    (logits / critic values)."""

    def __init__(
        self,
        slice_len: int = 16384,
        dim: int = 64,
        kernel_size: int = 25,
        channels: int = 1,
        phase_shuffle: int = 2,
        batchnorm: bool = False,
        negative_slope: float = 0.2,
        num_classes: int = 0,
    ):
        super().__init__()
        last = _last_stride(slice_len)
        self.slice_len, self.channels, self.num_classes = slice_len, channels, num_classes
        widths = [channels] + [dim * 2**i for i in range(5 if last is None else 6)]
        strides = [4] * 5 + ([last] if last else [])
        blocks = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            # TF 'SAME' conv padding is zeros; the reference has no batchnorm on the first layer
            blocks.append(
                ConvBlock1d(
                    a,
                    b,
                    kernel_size,
                    strides[i],
                    norm="batch" if batchnorm and i else "none",
                    activation="leaky_relu",
                    negative_slope=negative_slope,
                    padding_mode="zeros",
                )
            )
        self.blocks = nn.ModuleList(blocks)
        self.shuffles = nn.ModuleList([PhaseShuffle(phase_shuffle) for _ in range(4)])
        self.out = nn.Linear(16 * widths[-1], 1)
        self.projection = ClassProjection(16 * widths[-1], num_classes)
        glorot_init_(self)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        check_shape(x, 3, "WaveGANDiscriminator", self.channels)
        if x.shape[-1] != self.slice_len:
            raise ValueError(f"WaveGANDiscriminator expects {self.slice_len} samples, got {x.shape[-1]}")
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i < 4:
                x = self.shuffles[i](x)
        # flatten in TF's [B, T, C] order so the dense layer's weight layout matches the reference
        h = x.transpose(1, 2).flatten(1)
        return self.out(h).squeeze(1) + self.projection(h, labels)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
