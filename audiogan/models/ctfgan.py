"""CTF-GAN generator: a compact time-frequency speech enhancer (GTCRN-class), waveform in, waveform out.

Design (after GTCRN, Rong et al., ICASSP 2024; LiSenNet and FastEnhancer are close relatives):

* STFT ``n_fft``/``hop`` (512/256 at 16 kHz) with a square-root Hann window (``torch.stft``/``istft``);
* input features: power-compressed magnitude ``|X|^0.3`` and the compressed real/imaginary parts
  ``X |X|^(0.3-1)`` (3 channels), of the input scaled to unit RMS (the model is then level-invariant);
* fixed ERB band merging: the 65 lowest bins kept, the other 192 merged into 64 ERB bands (129 bands);
* subband unfolding (x3), two strided grouped conv blocks along frequency (129 -> 65 -> 33 bins) and three
  grouped temporal conv blocks (dilated 1, 2, 5 frames, causal);
* ``rnn_layers`` dual-path grouped GRU blocks (bidirectional across frequency, causal across time);
* a mirrored decoder with additive skips, a 2-channel Tanh output split back from ERB bands to bins,
  used as a complex ratio mask (``mask: complex``) or a magnitude mask (``mask: magnitude``).

Every time operation is causal, so the latency is one STFT frame (32 ms). With the defaults (16 channels)
the generator has about 24 k parameters and costs about 34 MMAC per second of audio (``count_macs``; the
STFT/iSTFT are not counted); ``channels: 32`` gives ~83 k parameters and ~96 MMAC/s. Under bf16 autocast the
STFT, iSTFT and mask application stay in fp32.

``forward(x: Tensor[B, T] or Tensor[B, 1, T]) -> same shape``, any length ``T >= 1``, 16 kHz.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from audiogan.nn.tf_blocks import (
    DualPathGRU,
    ERBBands,
    FreqConvBlock,
    GroupedTemporalConvBlock,
    SubbandUnfold,
)

MODEL_DEFAULTS: dict[str, Any] = {
    "n_fft": 512,
    "hop": 256,
    "compress": 0.3,  # power-law compression of the magnitude (features and losses)
    "erb_low": 65,  # bins kept as they are
    "erb_bands": 64,  # ERB bands the remaining bins are merged into
    "channels": 16,
    "hidden": 16,  # width inside the grouped temporal conv blocks
    "dilations": [1, 2, 5],
    "rnn_layers": 2,
    "rnn_groups": 1,  # GTCRN: 2 (fewer weights, but twice the sequential GRU steps, slow to train on CPU)
    "tra": "conv",  # temporal attention of the GT-conv blocks: conv (fast) | gru (GTCRN's)
    "mask": "complex",  # complex | magnitude
    "normalize": True,  # scale the input to unit RMS for the features (the mask is level-free)
    # discriminators (training only)
    "disc_channels": 16,  # metric discriminator width
    "spectral_discriminators": False,  # add multi-resolution spectral discriminators
    "spectral_channels": 16,
    "spectral_resolutions": [[512, 128], [1024, 256], [256, 64]],  # (n_fft, hop)
}
MASKS = ("complex", "magnitude")
SAMPLE_RATE = 16000


def check_model_config(m: dict[str, Any]) -> None:
    """ValueError with a clear message when the model section cannot build a generator."""
    n_fft, hop = int(m["n_fft"]), int(m["hop"])
    if n_fft < 16 or n_fft % 2 or not 0 < hop <= n_fft:
        raise ValueError(f"model.n_fft must be even and >= 16, 0 < model.hop <= n_fft; got {n_fft}/{hop}")
    bins = n_fft // 2 + 1
    if not 0 < m["erb_low"] < bins or not 2 <= m["erb_bands"] <= bins - m["erb_low"]:
        raise ValueError(f"model.erb_low/erb_bands must satisfy 0 < erb_low < {bins} and "
                         f"2 <= erb_bands <= {bins} - erb_low, got {m['erb_low']}/{m['erb_bands']}")
    c, g = int(m["channels"]), int(m["rnn_groups"])
    if c < 2 or c % 2 or c % g or c % (2 * g) or m["hidden"] < 1:
        raise ValueError(f"model.channels must be even and divisible by 2 * rnn_groups, hidden >= 1 "
                         f"(got channels {c}, rnn_groups {g}, hidden {m['hidden']})")
    if m["tra"] not in ("gru", "conv"):
        raise ValueError(f"model.tra must be gru or conv, got '{m['tra']}'")
    if m["mask"] not in MASKS:
        raise ValueError(f"model.mask must be one of {MASKS}, got '{m['mask']}'")
    if not 0 < float(m["compress"]) <= 1 or m["rnn_layers"] < 0 or any(int(d) < 1 for d in m["dilations"]):
        raise ValueError("model.compress must lie in (0, 1], rnn_layers >= 0 and every dilation >= 1")


def compress(spec: Tensor, power: float, eps: float = 1e-8) -> tuple[Tensor, Tensor]:
    """Power-law compression of a complex spectrogram: ``(|X|^p, X |X|^(p-1))`` (magnitude, complex)."""
    mag = spec.abs().clamp_min(eps)
    cmag = mag.pow(power)
    return cmag, spec * (cmag / mag)


class CTFGANGenerator(nn.Module):
    """The enhancer (see the module docstring). ``hop`` is read by inference for its block sizes."""

    def __init__(self, n_fft: int = 512, hop: int = 256, compress: float = 0.3, erb_low: int = 65,
                 erb_bands: int = 64, channels: int = 16, hidden: int = 16,
                 dilations: tuple[int, ...] = (1, 2, 5),
                 rnn_layers: int = 2, rnn_groups: int = 1, mask: str = "complex", normalize: bool = True,
                 tra: str = "conv"):
        super().__init__()
        self.n_fft, self.hop, self.power, self.mask, self.normalize = n_fft, hop, compress, mask, normalize
        self.register_buffer("window", torch.hann_window(n_fft, periodic=True).sqrt(), persistent=False)
        self.erb = ERBBands(n_fft, erb_low, erb_bands, SAMPLE_RATE)
        bands = self.erb.out_bins
        f1 = (bands - 1) // 2 + 1
        f2 = (f1 - 1) // 2 + 1
        c = channels
        self.sfe = SubbandUnfold(3)
        self.encoder = nn.ModuleList([
            FreqConvBlock(9, c, 5, 2),
            FreqConvBlock(c, c, 5, 2, groups=2),
            *[GroupedTemporalConvBlock(c, hidden, int(d), tra=tra) for d in dilations],
        ])
        self.rnns = nn.Sequential(*[DualPathGRU(c, f2, rnn_groups) for _ in range(rnn_layers)])
        self.decoder = nn.ModuleList([
            *[GroupedTemporalConvBlock(c, hidden, int(d), tra=tra) for d in reversed(dilations)],
            FreqConvBlock(c, c, 5, 2, groups=2, transposed=True),
            FreqConvBlock(c, 2, 5, 2, transposed=True, last=True),
        ])
        self._bins = (bands, f1, f2)

    # -- spectra (fp32 even under autocast: the CPU FFT has no bf16 kernels) --------------------------
    def stft(self, wave: Tensor) -> Tensor:
        """``Tensor[B, T] -> complex Tensor[B, F, frames]`` (centred frames, ``frames = T // hop + 1``)."""
        with torch.autocast(wave.device.type, enabled=False):
            return torch.stft(wave.float(), self.n_fft, self.hop, window=self.window, center=True,
                              return_complex=True)

    def istft(self, spec: Tensor, length: int) -> Tensor:
        with torch.autocast(spec.device.type, enabled=False):
            return torch.istft(spec, self.n_fft, self.hop, window=self.window, center=True, length=length)

    def features(self, spec: Tensor) -> Tensor:
        """``complex Tensor[B, F, T] -> Tensor[B, 3, T, bands]``: compressed magnitude, real, imaginary."""
        cmag, cspec = compress(spec, self.power)
        feats = torch.stack([cmag, cspec.real, cspec.imag], dim=1).transpose(2, 3)  # [B, 3, T, F]
        return self.erb.merge(feats)

    def estimate_mask(self, feats: Tensor) -> Tensor:
        """``Tensor[B, 3, T, bands] -> Tensor[B, 2, T, F]``: the network, from features to a per-bin mask."""
        x = self.sfe(feats)
        skips = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
        x = self.rnns(x)
        for block, skip in zip(self.decoder, reversed(skips)):
            x = block(x + skip)
        return self.erb.split(x.float())

    def enhance_spec(self, spec: Tensor) -> Tensor:
        """Masked complex spectrogram ``Tensor[B, F, T]`` (complex) of a noisy one."""
        scale = 1.0
        if self.normalize:  # per item, from the spectrum itself (Parseval up to a constant)
            power = spec.abs().pow(2).mean(dim=(1, 2), keepdim=True)
            scale = power.clamp_min(1e-10).rsqrt() * (self.n_fft ** 0.5) * 0.1
        m = self.estimate_mask(self.features(spec * scale))  # [B, 2, T, F]
        with torch.autocast(spec.device.type, enabled=False):
            m = m.float().transpose(2, 3)  # [B, 2, F, T]
            if self.mask == "complex":
                return spec * torch.complex(m[:, 0], m[:, 1])
            gain = (m[:, 0] + 1.0) / 2.0  # Tanh -> [0, 1]
            return spec * gain

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape
        if x.dim() not in (2, 3) or (x.dim() == 3 and x.shape[1] != 1):
            raise ValueError(f"CTFGANGenerator expects Tensor[B, T] or Tensor[B, 1, T], got {tuple(shape)}")
        wave = x.reshape(shape[0], -1).float()
        n = wave.shape[-1]
        if n < self.n_fft:  # centred frames need at least half a window on each side
            wave = torch.nn.functional.pad(wave, (0, self.n_fft - n))
        out = self.istft(self.enhance_spec(self.stft(wave)), wave.shape[-1])[:, :n]
        return out.reshape(shape).to(x.dtype)


def build_generator(m: dict[str, Any]) -> CTFGANGenerator:
    return CTFGANGenerator(
        int(m["n_fft"]), int(m["hop"]), float(m["compress"]), int(m["erb_low"]), int(m["erb_bands"]),
        int(m["channels"]), int(m["hidden"]), tuple(int(d) for d in m["dilations"]), int(m["rnn_layers"]),
        int(m["rnn_groups"]), str(m["mask"]), bool(m["normalize"]), str(m["tra"]),
    )


def count_macs(model: nn.Module, seconds: float = 1.0, sample_rate: int = SAMPLE_RATE) -> float:
    """Multiply-accumulates of one forward over ``seconds`` of audio, counted by
    ``torch.utils.flop_counter`` (convolutions, matmuls, GRUs; FLOPs / 2), per second of audio."""
    from torch.utils.flop_counter import FlopCounterMode

    n = int(seconds * sample_rate)
    was = model.training
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, n))
    model.train(was)
    return counter.get_total_flops() / 2 / seconds
