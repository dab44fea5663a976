"""SEGAN (Pascual et al. 2017) and SEGAN+ (the released segan_pytorch configuration) for enhancement.

Both are one U-Net-like 1-D generator and one conditional discriminator, selected by config values:

* SEGAN (paper): 11 encoder convs, kernel 31, stride 2, fmaps 16,32,32,64,64,128,128,256,256,512,1024,
  PReLU, z ~ N(0, I) of 1024 channels concatenated at the 8-frame bottleneck, plain (constant) skips
  merged by concat; the discriminator sees (candidate, noisy) pairs, uses virtual batch norm and
  LeakyReLU(0.3), then a 1x1 conv and a linear layer.
* SEGAN+: 5 encoder convs, kernel 31, stride 4, fmaps 64,128,256,512,1024, learned per-channel alpha
  skips merged by concat, z of 1024 channels at the 16-frame bottleneck. The discriminator follows
  segan_pytorch: Conv -> BatchNorm -> PReLU blocks on reflect-padded input, a random circular shift of
  up to 5 samples (either way) before each block, then flatten and FC 256 -> PReLU -> 128 -> PReLU -> 1.
  Where it differs: the shift is drawn in [-5, 5] once per batch (the reference draws 1..5 samples),
  which keeps the block shared with WaveGAN's phase shuffle. With biases the generator has 64,770,561
  parameters.

Skips carry each encoder conv's output *before* its PReLU, as TF SEGAN and segan_pytorch do (the PReLU
starts at slope 0, so a post-activation skip would drop the negative half). Weights start as in
segan_pytorch: conv and transposed-conv weights N(0, 0.02), linear layers Xavier, biases 0.

Decoder layout (both): the first transposed conv takes the bottleneck plus z; every later one takes the
previous decoder output concatenated with the mirrored encoder output; the last one maps to 1 channel
with tanh.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from audiogan.nn.blocks import (
    ConvBlock1d,
    PhaseShuffle,
    SkipConnection,
    TransposedConvBlock1d,
    check_shape,
)

SEGAN_FMAPS = [16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 1024]
SEGAN_PLUS_FMAPS = [64, 128, 256, 512, 1024]

# Model config section (config["model"]); defaults are the paper's SEGAN, segan_plus.yaml spells SEGAN+.
MODEL_DEFAULTS: dict[str, Any] = {
    "window": 16384,  # samples per training window (and inference window) at 16 kHz
    "g_fmaps": list(SEGAN_FMAPS),
    "g_kernel": 31,
    "g_stride": 2,
    "z_dim": 1024,  # 0: no latent
    "skip": "constant",  # constant | alpha | conv | none
    "skip_init": "one",  # alpha skips: one | zero | randn
    "skip_merge": "concat",  # concat | sum
    "bias": True,
    "d_fmaps": list(SEGAN_FMAPS),
    "d_kernel": 31,
    "d_stride": 2,
    "d_norm": "virtual_batch",  # virtual_batch | batch | spectral | none
    "d_slope": 0.3,
    "d_phase_shift": 0,  # max random shift in samples before each D layer (SEGAN+: 5)
    "d_head": "conv",  # conv: 1x1 conv to one channel + linear; fc: flatten + FC d_fc... -> 1
    "d_fc": [256, 128],
    "d_activation": "leaky_relu",  # leaky_relu (slope d_slope) | prelu; also the FC head's activation
    "d_padding": "zeros",  # zeros | reflect
    "d_shift_mode": "reflect",  # phase shift padding: reflect | circular
}

SEGAN_PLUS_MODEL: dict[str, Any] = {
    **MODEL_DEFAULTS,
    "g_fmaps": list(SEGAN_PLUS_FMAPS),
    "g_stride": 4,
    "skip": "alpha",
    "d_fmaps": list(SEGAN_PLUS_FMAPS),
    "d_stride": 4,
    "d_norm": "batch",
    "d_phase_shift": 5,
    "d_head": "fc",
    "d_activation": "prelu",
    "d_padding": "reflect",
    "d_shift_mode": "circular",
}

PRESETS = {"segan": MODEL_DEFAULTS, "segan_plus": SEGAN_PLUS_MODEL}


class SEGANGenerator(nn.Module):
    """Encoder-decoder generator with skips and a latent at the bottleneck.

    ``forward(x: Tensor[B, 1, T], z: Tensor[B, z_dim, T / hop] | None) -> Tensor[B, 1, T]`` in [-1, 1],
    with ``T`` divisible by :attr:`hop` (the product of the strides).
    """

    def __init__(
        self,
        fmaps: Sequence[int] = SEGAN_FMAPS,
        kernel_size: int = 31,
        stride: int = 2,
        *,
        z_dim: int = 1024,
        skip: str = "constant",
        skip_init: str = "one",
        skip_merge: str = "concat",
        bias: bool = True,
    ):
        super().__init__()
        fmaps = [int(f) for f in fmaps]
        if not fmaps or min(fmaps) <= 0:
            raise ValueError(f"generator fmaps must be positive integers, got {fmaps}")
        if skip not in ("constant", "alpha", "conv", "none"):
            raise ValueError(f"unknown skip '{skip}' (constant, alpha, conv, none)")
        self.z_dim, self.stride, self.n_layers = int(z_dim), int(stride), len(fmaps)
        self.hop = self.stride ** len(fmaps)
        chans = [1, *fmaps]
        self.encoder = nn.ModuleList(
            ConvBlock1d(
                chans[i],
                chans[i + 1],
                kernel_size,
                stride,
                activation="prelu",
                padding_mode="zeros",
                bias=bias,
            )
            for i in range(len(fmaps))
        )
        # decoder i mirrors encoder (L-1-i); its output is merged with encoder (L-2-i)'s output
        dec_out = [*reversed(fmaps[:-1]), 1]
        skip_ch = list(reversed(fmaps[:-1]))
        self.skips = nn.ModuleList()
        self.decoder = nn.ModuleList()
        in_ch = fmaps[-1] + self.z_dim
        for i, out_ch in enumerate(dec_out):
            last = i == len(dec_out) - 1
            self.decoder.append(
                TransposedConvBlock1d(
                    in_ch, out_ch, kernel_size, stride, activation="tanh" if last else "prelu", bias=bias
                )
            )
            if last:
                break
            if skip == "none":
                in_ch = out_ch
                continue
            self.skips.append(SkipConnection(skip_ch[i], kind=skip, merge=skip_merge, init=skip_init))
            if skip_merge == "sum" and skip_ch[i] != out_ch:
                raise ValueError("skip_merge=sum needs mirrored encoder/decoder channels")
            in_ch = out_ch + skip_ch[i] if skip_merge == "concat" else out_ch
        self.use_skips = skip != "none"
        init_weights(self)

    def sample_z(
        self,
        batch: int,
        frames: int,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor | None:
        """Latent ``Tensor[B, z_dim, frames]`` ~ N(0, I) (None when z_dim is 0)."""
        if self.z_dim == 0:
            return None
        z = torch.randn(batch, self.z_dim, frames, generator=generator)
        return z.to(device) if device is not None else z

    def forward(self, x: Tensor, z: Tensor | None = None) -> Tensor:
        check_shape(x, 3, "SEGANGenerator", 1)
        if x.shape[-1] % self.hop:
            raise ValueError(f"SEGANGenerator needs a length divisible by {self.hop}, got {x.shape[-1]}")
        feats = []
        h = x
        for layer in self.encoder:
            pre = layer.preactivation(h)
            feats.append(pre)  # the skip source: before the PReLU (TF SEGAN, segan_pytorch)
            h = layer.act(pre)
        if self.z_dim:
            if z is None:
                z = torch.randn(h.shape[0], self.z_dim, h.shape[-1], device=h.device, dtype=h.dtype)
            h = torch.cat([h, z.to(dtype=h.dtype)], dim=1)
        for i, layer in enumerate(self.decoder):
            h = layer(h)
            if self.use_skips and i < len(self.skips):
                h = self.skips[i](h, feats[-2 - i])
        return h


class SEGANDiscriminator(nn.Module):
    """Conditional discriminator on (candidate, noisy) pairs.

    ``forward(x: Tensor[B, 2, T]) -> Tensor[B, 1]`` logits, or ``forward(candidate, noisy)`` with both
    ``Tensor[B, 1, T]``. ``T`` must equal the ``window`` given at construction (the head is fully connected).
    """

    def __init__(
        self,
        fmaps: Sequence[int] = SEGAN_FMAPS,
        kernel_size: int = 31,
        stride: int = 2,
        *,
        window: int = 16384,
        norm: str = "virtual_batch",
        negative_slope: float = 0.3,
        phase_shift: int = 0,
        head: str = "conv",
        fc: Sequence[int] = (256, 128),
        bias: bool = True,
        activation: str = "leaky_relu",
        padding_mode: str = "zeros",
        shift_mode: str = "reflect",
    ):
        super().__init__()
        fmaps = [int(f) for f in fmaps]
        hop = int(stride) ** len(fmaps)
        if window % hop:
            raise ValueError(f"window {window} is not divisible by the discriminator's total stride {hop}")
        self.window, self.frames = int(window), window // hop
        chans = [2, *fmaps]
        if activation not in ("leaky_relu", "prelu"):
            raise ValueError(f"unknown discriminator activation '{activation}' (leaky_relu, prelu)")
        self.shifts = nn.ModuleList(PhaseShuffle(phase_shift, mode=shift_mode) for _ in fmaps)
        self.layers = nn.ModuleList(
            ConvBlock1d(
                chans[i],
                chans[i + 1],
                kernel_size,
                stride,
                norm=norm,
                activation=activation,
                negative_slope=negative_slope,
                padding_mode=padding_mode,
                bias=bias,
            )
            for i in range(len(fmaps))
        )
        if head == "conv":  # the paper: 1x1 conv to one channel, then a linear layer over the frames
            self.pool = nn.Conv1d(fmaps[-1], 1, 1)
            self.fc = nn.Linear(self.frames, 1)
        elif head == "fc":  # segan_pytorch: flatten, then FC fc[0] -> fc[1] -> ... -> 1
            self.pool = nn.Identity()
            dims = [fmaps[-1] * self.frames, *[int(d) for d in fc]]
            mods: list[nn.Module] = []
            for a, b in zip(dims[:-1], dims[1:]):
                act = nn.PReLU(b, init=0.0) if activation == "prelu" else nn.LeakyReLU(negative_slope)
                mods += [nn.Linear(a, b), act]
            mods.append(nn.Linear(dims[-1], 1))
            self.fc = nn.Sequential(*mods)
        else:
            raise ValueError(f"unknown discriminator head '{head}' (conv, fc)")
        init_weights(self)

    def forward(self, x: Tensor, noisy: Tensor | None = None) -> Tensor:
        if noisy is not None:
            x = torch.cat([x, noisy], dim=1)
        check_shape(x, 3, "SEGANDiscriminator", 2)
        if x.shape[-1] != self.window:
            raise ValueError(
                f"SEGANDiscriminator expects windows of {self.window} samples, got {x.shape[-1]}"
            )
        h = x
        for shift, layer in zip(self.shifts, self.layers):
            h = layer(shift(h))
        return self.fc(self.pool(h).flatten(1))


def build_generator(model: dict[str, Any]) -> SEGANGenerator:
    """Generator from a ``model`` config section (see :data:`MODEL_DEFAULTS`)."""
    return SEGANGenerator(
        model["g_fmaps"],
        model["g_kernel"],
        model["g_stride"],
        z_dim=model["z_dim"],
        skip=model["skip"],
        skip_init=model["skip_init"],
        skip_merge=model["skip_merge"],
        bias=model["bias"],
    )


def build_discriminator(model: dict[str, Any]) -> SEGANDiscriminator:
    """Discriminator from a ``model`` config section (see :data:`MODEL_DEFAULTS`)."""
    return SEGANDiscriminator(
        model["d_fmaps"],
        model["d_kernel"],
        model["d_stride"],
        window=model["window"],
        norm=model["d_norm"],
        negative_slope=model["d_slope"],
        phase_shift=model["d_phase_shift"],
        head=model["d_head"],
        fc=model["d_fc"],
        bias=model["bias"],
        activation=model["d_activation"],
        padding_mode=model["d_padding"],
        shift_mode=model["d_shift_mode"],
    )


@torch.no_grad()
def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """segan_pytorch's start: conv weights N(0, std), linear weights Xavier-uniform, biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d)):
            nn.init.normal_(_raw_weight(m), 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(_raw_weight(m))
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def generator_hop(model: dict[str, Any]) -> int:
    """Total stride of the generator: windows must be a multiple of it."""
    return int(model["g_stride"]) ** len(model["g_fmaps"])


def check_model_config(model: dict[str, Any]) -> None:
    """Raise ValueError for inconsistent window/stride settings before anything is built."""
    for side in ("g", "d"):
        hop = int(model[f"{side}_stride"]) ** len(model[f"{side}_fmaps"])
        if model["window"] % hop:
            raise ValueError(
                f"model.window {model['window']} is not a multiple of the {side.upper()} total stride "
                f"{hop} ({side}_stride ** len({side}_fmaps)); try {math.ceil(model['window'] / hop) * hop}"
            )


def _raw_weight(m: nn.Module) -> Tensor:
    """The stored weight (under a spectral/weight-norm parametrization: its unnormalised original)."""
    if parametrize.is_parametrized(m, "weight"):
        return m.parametrizations.weight.original
    return m.weight
