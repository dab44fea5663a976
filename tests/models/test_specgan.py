"""SpecGAN: 128 x 128 shapes, the normalisation round trip and Griffin-Lim inversion."""

import math

import pytest
import torch

from audiogan.models.specgan import (
    BINS,
    FRAMES,
    SLICE_LEN,
    LogMagnitude,
    SpecGANDiscriminator,
    SpecGANGenerator,
    SpecInverter,
    bin_statistics,
    denormalize,
    normalize,
)


def tone(freq: float = 1000.0, n: int = 1) -> torch.Tensor:
    t = torch.arange(SLICE_LEN) / 16000
    return (0.5 * torch.sin(2 * math.pi * freq * t)).repeat(n, 1, 1)


def test_shapes_are_128_by_128_and_conditioning_works():
    torch.manual_seed(0)
    g, d = SpecGANGenerator(dim=2), SpecGANDiscriminator(dim=2)
    with torch.no_grad():
        x = g(g.sample_latent(3))
    assert x.shape == (3, 1, BINS, FRAMES) and float(x.abs().max()) <= 1.0
    assert d(x).shape == (3,)
    gc, dc = SpecGANGenerator(dim=2, num_classes=4, embed_dim=3), SpecGANDiscriminator(dim=2, num_classes=4)
    y = torch.tensor([0, 3, 1])
    assert dc(gc(gc.sample_latent(3), y), y).shape == (3,)
    with pytest.raises(ValueError, match="128 x 128"):
        d(torch.zeros(1, 1, 64, 128))


def test_log_magnitude_is_the_papers_representation():
    lm = LogMagnitude()(tone(1000.0))
    assert lm.shape == (1, 1, BINS, FRAMES)
    # 1000 Hz at 16 kHz with a 256-point FFT: bin 16 holds the peak in every frame
    assert int(lm[0, 0, :, 64].argmax()) == 16


def test_normalisation_round_trip_and_clipping():
    torch.manual_seed(0)
    mags = LogMagnitude()(torch.randn(4, 1, SLICE_LEN) * 0.1)
    mean, std = bin_statistics(mags)
    assert mean.shape == (BINS,) and std.shape == (BINS,)
    x = normalize(mags, mean, std)
    assert float(x.abs().max()) <= 1.0
    inside = x.abs() < 1.0  # not clipped at 3 sigma
    assert torch.allclose(denormalize(x, mean, std)[inside], mags[inside], atol=1e-4)
    assert abs(float(x.mean())) < 0.05  # standardised per bin


def test_griffin_lim_inverts_a_tone():
    target = LogMagnitude()(tone(1000.0))
    mags = torch.cat([target, LogMagnitude()(tone(3000.0))])
    mean, std = bin_statistics(mags)
    inverter = SpecInverter(mean, std, n_iter=16)
    audio = inverter(normalize(target, mean, std))
    assert audio.shape == (1, 1, SLICE_LEN)
    back = LogMagnitude()(audio).exp()
    spectral_convergence = float((back - target.exp()).norm() / target.exp().norm())
    assert spectral_convergence < 0.35
    assert int(back[0, 0, :, 64].argmax()) == 16  # the tone is where it was
