"""Conditional instance norm and the conditional residual block."""

from __future__ import annotations

import pytest
import torch

from audiogan.nn.conditional import ConditionalInstanceNorm1d, ConditionalResidualGatedBlock1d


def test_cin_is_instance_norm_with_a_per_code_scale_and_shift() -> None:
    cin = ConditionalInstanceNorm1d(4, 3)
    x = torch.randn(2, 4, 50) * 3 + 1
    code = torch.eye(3)[[0, 2]]
    with torch.no_grad():
        y = cin(x, code)
        norm = torch.nn.functional.instance_norm(x)
        for i, k in enumerate((0, 2)):  # one-hot code k selects column k of gamma/beta
            scale = 1 + cin.gamma.weight[:, k] + cin.gamma.bias
            shift = cin.beta.weight[:, k] + cin.beta.bias
            torch.testing.assert_close(y[i], norm[i] * scale[:, None] + shift[:, None], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match=r"cond Tensor\[2, 3\]"):
        cin(x, torch.zeros(2, 4))


def test_conditional_residual_block_keeps_shape_and_uses_the_code() -> None:
    block = ConditionalResidualGatedBlock1d(6, 12, cond_dim=2, kernel_size=5)
    x = torch.randn(1, 6, 20).expand(2, -1, -1)
    y = block(x, torch.eye(2))
    assert y.shape == x.shape
    assert not torch.allclose(y[0], y[1], atol=1e-4)
    y.sum().backward()
    assert block.norm.gamma.weight.grad is not None and block.conv.weight.grad.abs().sum() > 0
