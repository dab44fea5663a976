"""DiffAugment: identity when off, shapes kept, gradients through, seeded, per-example parameters."""

import pytest
import torch

from audiogan.nn.diffaugment import DiffAugment, parse_policy, shift_along


def test_off_is_identity_and_unknown_ops_are_errors():
    x = torch.randn(2, 1, 32)
    assert DiffAugment("")(x) is x and not DiffAugment("").active
    assert parse_policy(" shift, gain ,cutout") == ("shift", "gain", "cutout")
    with pytest.raises(ValueError, match="unknown DiffAugment op 'rotate'"):
        DiffAugment("shift,rotate")
    with pytest.raises(ValueError, match="twice"):
        DiffAugment("gain,gain")
    with pytest.raises(ValueError, match="spectrograms"):
        DiffAugment("freq")(x)


@pytest.mark.parametrize(
    "shape,policy", [((3, 1, 64), "shift,gain,cutout"), ((3, 1, 16, 24), "shift,freq,gain,cutout")]
)
def test_shapes_gradients_and_seeding(shape, policy):
    aug = DiffAugment(policy)
    x = torch.randn(shape, requires_grad=True)
    y = aug(x, torch.Generator().manual_seed(1))
    assert y.shape == x.shape
    y.square().sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    again = aug(x.detach(), torch.Generator().manual_seed(1))
    assert torch.equal(y.detach(), again)
    assert not torch.equal(again, aug(x.detach(), torch.Generator().manual_seed(2)))


def test_shift_zero_fills_and_draws_per_example():
    x = torch.arange(1, 6.0).repeat(2, 1, 1)  # [2, 1, 5]
    out = shift_along(x, torch.tensor([2, -1]), -1)
    assert out.tolist() == [[[0, 0, 1, 2, 3]], [[2, 3, 4, 5, 0]]]
    ones = torch.ones(64, 1, 100)
    gains = DiffAugment("gain")(ones, torch.Generator().manual_seed(0))[:, 0, 0]
    assert len(set(gains.tolist())) > 32  # one gain per example
    assert float(gains.min()) >= 10 ** (-6 / 20) - 1e-6 and float(gains.max()) <= 10 ** (6 / 20) + 1e-6
    cut = DiffAugment("cutout")(ones, torch.Generator().manual_seed(0))
    zeros = (cut == 0).sum(-1).flatten()
    assert bool((zeros > 0).all()) and bool((zeros <= 25).all())  # one span of at most a quarter per example
