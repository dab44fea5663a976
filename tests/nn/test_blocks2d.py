"""2-D strided and transposed conv blocks: exact size arithmetic for any kernel, clear shape errors."""

import pytest
import torch

from audiogan.nn.blocks2d import ConvBlock2d, TransposedConvBlock2d


@pytest.mark.parametrize("kernel", [3, 4, 5, (5, 3)])
def test_strided_halves_and_transposed_doubles(kernel):
    x = torch.randn(2, 3, 16, 24)
    down = ConvBlock2d(3, 4, kernel, 2)(x)
    assert down.shape == (2, 4, 8, 12)
    up = TransposedConvBlock2d(4, 3, kernel, 2, activation="tanh")(down)
    assert up.shape == (2, 3, 16, 24) and float(up.detach().abs().max()) <= 1.0
    assert ConvBlock2d(3, 4, kernel, (1, 2))(x).shape == (2, 4, 16, 12)


def test_bad_shapes_and_kernels_are_clear_errors():
    with pytest.raises(ValueError, match=r"\[B, C, F, T\]"):
        ConvBlock2d(1, 2, 5, 2)(torch.zeros(1, 1, 16))
    with pytest.raises(ValueError, match="3 input channels"):
        TransposedConvBlock2d(3, 1, 5, 2)(torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="too small"):
        TransposedConvBlock2d(1, 1, 1, 2)
