"""CycleGAN-VC2 networks: shapes for 36/24 dims and odd frame counts, true GLUs, parameter counts."""

from __future__ import annotations

import pytest
import torch

from audiogan.models.cyclegan_vc2 import (
    Generator2to1to2D,
    PatchDiscriminator,
    UpsampleGLU2d,
    count_parameters,
)

TINY_G = dict(channels=8, down_channels=8, res_channels=8, res_hidden_channels=16, num_residual=2)
TINY_D = dict(channels=[8, 8, 16, 16])


@pytest.mark.parametrize("dims", [36, 24])
@pytest.mark.parametrize("frames", [128, 64, 37, 5])
def test_generator_keeps_shape(dims: int, frames: int) -> None:
    torch.manual_seed(0)
    g = Generator2to1to2D(dims, **TINY_G).eval()
    x = torch.randn(2, dims, frames)
    y = g(x)
    assert y.shape == x.shape
    assert torch.isfinite(y).all()


def test_generator_width_follows_feature_dim() -> None:
    # 2-1-2D bottleneck: down_channels * F/4 (2304 for the paper's 36 dims and 256 channels)
    assert Generator2to1to2D(36).to_1d[0].in_channels == 2304
    assert Generator2to1to2D(24).to_1d[0].in_channels == 256 * 6
    assert Generator2to1to2D(24, **TINY_G).to_2d[0].out_channels == 8 * 6


def test_generator_pads_dims_not_divisible_by_4() -> None:
    g = Generator2to1to2D(34, **TINY_G).eval()
    assert g.padded_dim == 36
    x = torch.randn(1, 34, 50)
    assert g(x).shape == (1, 34, 50)


def test_generator_rejects_wrong_feature_dim() -> None:
    g = Generator2to1to2D(36, **TINY_G)
    with pytest.raises(ValueError, match="36 feature dims"):
        g(torch.randn(1, 24, 32))


def test_generator_is_fully_convolutional() -> None:
    # whole utterances of any length convert (frames are padded to a multiple of 4 and trimmed back)
    g = Generator2to1to2D(36, **TINY_G).eval()
    for t in (129, 130, 131, 500):
        assert g(torch.randn(1, 36, t)).shape[-1] == t


def test_upsample_uses_separate_gate_conv() -> None:
    torch.manual_seed(0)
    up = UpsampleGLU2d(8, 4, 5)
    assert up.conv is not up.gate
    assert up.conv.out_channels == 16 and up.gate.out_channels == 16  # 4x for PixelShuffle(2)
    x = torch.randn(1, 8, 9, 32)
    y = up(x)
    assert y.shape == (1, 4, 18, 64)
    # a true GLU: changing only the gate branch changes the output (not x * sigmoid(x) of one conv)
    with torch.no_grad():
        up.gate.weight.mul_(-1.0)
    assert not torch.allclose(up(x), y)


@pytest.mark.parametrize("dims,frames,expect", [(36, 128, (4, 16)), (24, 128, (3, 16)), (36, 37, (4, 4))])
def test_discriminator_patch_logits(dims: int, frames: int, expect: tuple[int, int]) -> None:
    d = PatchDiscriminator(**TINY_D)
    out = d(torch.randn(3, dims, frames))
    assert out.shape == (3, 1, *expect)
    # raw logits (no sigmoid): LSGAN targets 0/1 need an unbounded output
    assert not isinstance(list(d.modules())[-1], torch.nn.Sigmoid)


def test_discriminator_layout() -> None:
    d = PatchDiscriminator()
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert d.out.kernel_size == (1, 3) and d.out.out_channels == 1
    strided = [c for c in convs if c.stride == (2, 2)]
    assert len(strided) == 6  # three downsample blocks, each a conv + a gate conv
    assert max(c.out_channels for c in convs) == 1024


def test_full_size_parameter_counts() -> None:
    g, d = Generator2to1to2D(36), PatchDiscriminator()
    # construct and count only (no forward): gated units double every gated conv
    assert 30e6 < count_parameters(g) < 36e6
    assert 20e6 < count_parameters(d) < 26e6
    first = g.in_gate.conv
    assert first.in_channels == 1 and first.out_channels == 128 and first.kernel_size == (5, 15)
    assert g.out.kernel_size == (5, 15) and g.out.out_channels == 1
    assert len(g.residual) == 6
