"""2-D strided and transposed convolution blocks (SpecGAN's DCGAN-like G and D), the 2-D siblings of
:class:`audiogan.nn.blocks.ConvBlock1d` and :class:`audiogan.nn.blocks.TransposedConvBlock1d` (a separate
file so blocks.py stays within the one-file-one-job size limit).

``x: Tensor[B, C, F, T]``. A strided block maps ``(F, T) -> (F / sf, T / st)`` exactly and an upsampling
block ``(F, T) -> (F * sf, T * st)``, whatever the kernel size, with TF-'SAME'-like zero padding.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from audiogan.nn.blocks import (
    _norm_layer,
    _pair,
    _wrap_weight,
    check_shape,
    make_activation,
    same_stride_padding,
)


class ConvBlock2d(nn.Module):
    """Conv2d (+ norm + activation): ``Tensor[B, C_in, F, T] -> Tensor[B, C_out, F / sf, T / st]``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, *, norm: str = "none", activation: str = "leaky_relu",
                 negative_slope: float = 0.2, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        (kf, kt), (sf, st) = _pair(kernel_size), _pair(stride)
        pf, pt = same_stride_padding(kf, sf), same_stride_padding(kt, st)
        self.padding = (pt[0], pt[1], pf[0], pf[1])
        self.conv = _wrap_weight(nn.Conv2d(in_channels, out_channels, (kf, kt), (sf, st), bias=bias), norm)
        self.norm = _norm_layer(norm, out_channels, 2)
        self.act = make_activation(activation, out_channels, negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 4, "ConvBlock2d", self.in_channels)
        return self.act(self.norm(self.conv(F.pad(x, self.padding))))


class TransposedConvBlock2d(nn.Module):
    """ConvTranspose2d (+ norm + activation): ``Tensor[B, C_in, F, T] -> Tensor[B, C_out, F*sf, T*st]``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int], *, norm: str = "none", activation: str = "relu",
                 negative_slope: float = 0.2, bias: bool = True):
        super().__init__()
        self.in_channels = in_channels
        kernel, strides = _pair(kernel_size), _pair(stride)
        pads, extra = [], []
        for k, s in zip(kernel, strides):
            pad = -(-(k - s) // 2)  # ceil((k - s) / 2)
            if k < s or 2 * pad - (k - s) >= s:
                raise ValueError(f"kernel {k} too small for stride {s}")
            pads.append(pad)
            extra.append(2 * pad - (k - s))
        conv = nn.ConvTranspose2d(in_channels, out_channels, kernel, strides, padding=tuple(pads),
                                  output_padding=tuple(extra), bias=bias)
        self.conv = _wrap_weight(conv, norm)
        self.norm = _norm_layer(norm, out_channels, 2)
        self.act = make_activation(activation, out_channels, negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        check_shape(x, 4, "TransposedConvBlock2d", self.in_channels)
        return self.act(self.norm(self.conv(x)))
