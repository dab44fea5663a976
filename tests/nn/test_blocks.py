"""audiogan.nn.blocks: shapes, options and the behaviour of each shared building block."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from audiogan.nn.blocks import (
    ACTIVATIONS,
    NORMS,
    ConvBlock1d,
    GatedConv1d,
    GatedConv2d,
    PhaseShuffle,
    PixelShuffle1d,
    PixelUnshuffle1d,
    ResidualGatedBlock1d,
    SkipConnection,
    TransposedConvBlock1d,
    UpsampleConvBlock1d,
    VirtualBatchNorm1d,
    make_activation,
    same_stride_padding,
    vbn_reference_pass,
)

KERNEL_STRIDES = [(31, 2), (31, 4), (25, 4), (4, 2), (3, 1)]


# -- strided / upsampling conv shape tables ------------------------------------------------------------
@pytest.mark.parametrize("kernel, stride", KERNEL_STRIDES)
@pytest.mark.parametrize("norm", NORMS)
def test_strided_conv_divides_length(kernel, stride, norm):
    for activation in ("prelu", "leaky_relu"):
        block = ConvBlock1d(3, 5, kernel, stride, norm=norm, activation=activation)
        y = block(torch.randn(2, 3, 128))
        assert y.shape == (2, 5, 128 // stride)
        assert torch.isfinite(y).all()


@pytest.mark.parametrize("kernel, stride", KERNEL_STRIDES)
@pytest.mark.parametrize("norm", NORMS)
def test_transposed_conv_multiplies_length_and_inverts_the_strided_conv(kernel, stride, norm):
    down = ConvBlock1d(3, 5, kernel, stride, norm=norm)
    up = TransposedConvBlock1d(5, 3, kernel, stride, norm=norm, activation="leaky_relu")
    x = torch.randn(2, 3, 128)
    h = down(x)
    assert up(h).shape == x.shape


@pytest.mark.parametrize("kernel, scale", [(25, 4), (31, 2), (4, 2), (3, 1)])
@pytest.mark.parametrize("norm", NORMS)
def test_upsample_conv_multiplies_length_and_inverts_the_strided_conv(kernel, scale, norm):
    down = ConvBlock1d(3, 5, kernel, scale, norm=norm)
    up = UpsampleConvBlock1d(5, 3, kernel, scale, norm=norm, activation="relu")
    x = torch.randn(2, 3, 64)
    assert up(down(x)).shape == x.shape


def test_encoder_decoder_stack_lines_up_like_segan():
    """Eleven stride-2 kernel-31 layers take 16384 samples to 8 frames and back."""
    chans = [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    enc = nn.Sequential(*[ConvBlock1d(a, b, 31, 2) for a, b in zip(chans[:-1], chans[1:])])
    pairs = list(zip(chans[:-1], chans[1:]))
    dec = nn.Sequential(*[TransposedConvBlock1d(b, a, 31, 2) for a, b in reversed(pairs)])
    h = enc(torch.randn(1, 1, 16384))
    assert h.shape == (1, 2, 8)
    assert dec(h).shape == (1, 1, 16384)


@pytest.mark.parametrize("padding_mode", ["reflect", "zeros", "replicate", "circular"])
def test_inputs_shorter_than_the_padding_still_work(padding_mode):
    block = ConvBlock1d(2, 2, 31, 4, padding_mode=padding_mode)
    assert block(torch.randn(1, 2, 8)).shape == (1, 2, 2)


def test_same_stride_padding():
    assert same_stride_padding(31, 2) == (14, 15)
    assert same_stride_padding(25, 4) == (10, 11)
    assert same_stride_padding(3, 1) == (1, 1)
    assert same_stride_padding(2, 4) == (0, 0)
    assert same_stride_padding(3, 1, dilation=4) == (4, 4)


def test_dilated_conv_keeps_length():
    assert ConvBlock1d(2, 3, 3, dilation=9)(torch.randn(1, 2, 50)).shape == (1, 3, 50)


def test_spectral_norm_bounds_the_weight():
    block = ConvBlock1d(4, 8, 5, 2, norm="spectral")
    with torch.no_grad():
        block.conv.parametrizations.weight.original.mul_(10)
        for _ in range(30):  # one power iteration per training forward
            block(torch.randn(2, 4, 32))
    w = block.conv.weight.reshape(8, -1)
    assert torch.linalg.matrix_norm(w, 2).item() == pytest.approx(1.0, abs=0.05)


def test_weight_norm_is_a_magnitude_direction_split():
    block = ConvBlock1d(4, 8, 5, norm="weight")
    p = block.conv.parametrizations.weight
    assert hasattr(p, "original0") and hasattr(p, "original1")


def test_activations():
    prelu = make_activation("prelu", 6)
    assert sum(p.numel() for p in prelu.parameters()) == 6  # one slope per channel, starting as ReLU
    assert prelu(-torch.ones(1, 6, 2)).abs().sum() == 0
    leaky = make_activation("leaky_relu", 6, negative_slope=0.3)
    assert leaky(torch.tensor([-1.0, 2.0])).tolist() == pytest.approx([-0.3, 2.0])
    for name in ACTIVATIONS:
        assert make_activation(name, 3)(torch.zeros(1, 3, 4)).shape == (1, 3, 4)
    with pytest.raises(ValueError, match="unknown activation"):
        make_activation("swish", 3)


def test_bad_options_are_value_errors():
    with pytest.raises(ValueError, match="unknown norm"):
        ConvBlock1d(2, 2, 3, norm="layer")
    with pytest.raises(ValueError, match="padding_mode"):
        ConvBlock1d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="1-D only"):
        GatedConv2d(2, 2, 3, norm="virtual_batch")
    with pytest.raises(ValueError, match="too small"):
        TransposedConvBlock1d(2, 2, 2, 4)


@pytest.mark.parametrize(
    "block, good, bad_rank, bad_channels",
    [
        (ConvBlock1d(3, 4, 5, 2), (2, 3, 16), (3, 16), (2, 4, 16)),
        (TransposedConvBlock1d(3, 4, 4, 2), (2, 3, 16), (2, 3, 4, 16), (2, 2, 16)),
        (UpsampleConvBlock1d(3, 4, 5, 2), (2, 3, 16), (16,), (2, 5, 16)),
        (GatedConv1d(3, 4, 5), (2, 3, 16), (2, 3, 1, 16), (2, 1, 16)),
        (GatedConv2d(3, 4, 5), (2, 3, 8, 16), (2, 3, 16), (2, 1, 8, 16)),
        (ResidualGatedBlock1d(3, 6), (2, 3, 16), (3, 16), (2, 6, 16)),
        (VirtualBatchNorm1d(3), (2, 3, 16), (2, 3, 4, 4), (2, 4, 16)),
    ],
)
def test_wrong_rank_or_channels_is_a_clear_value_error(block, good, bad_rank, bad_channels):
    block(torch.randn(*good))
    with pytest.raises(ValueError, match="expects Tensor"):
        block(torch.randn(*bad_rank))
    with pytest.raises(ValueError, match="input channels"):
        block(torch.randn(*bad_channels))


# -- gated convolutions --------------------------------------------------------------------------------
@pytest.mark.parametrize("norm", ["none", "instance", "batch", "spectral", "weight"])
@pytest.mark.parametrize("kernel, stride", [(5, 1), (5, 2), (15, 1)])
def test_gated_conv1d_shape(norm, kernel, stride):
    assert GatedConv1d(4, 6, kernel, stride, norm=norm)(torch.randn(2, 4, 32)).shape == (2, 6, 32 // stride)


@pytest.mark.parametrize("norm", ["none", "instance", "batch", "spectral", "weight"])
@pytest.mark.parametrize("kernel, stride, out",
                         [((5, 15), 1, (24, 32)), (5, 2, (12, 16)), ((3, 3), (2, 1), (12, 32))])
def test_gated_conv2d_shape(norm, kernel, stride, out):
    assert GatedConv2d(4, 6, kernel, stride, norm=norm)(torch.randn(2, 4, 24, 32)).shape == (2, 6, *out)


@pytest.mark.parametrize("cls, shape", [(GatedConv1d, (2, 3, 16)), (GatedConv2d, (2, 3, 8, 16))])
def test_gate_is_a_separate_conv(cls, shape):
    """out = conv(x) * sigmoid(gate(x)) with two convolutions, not x * sigmoid(x)."""
    block = cls(3, 4, 3, norm="none")
    assert block.gate is not block.conv
    assert block.gate.weight.data_ptr() != block.conv.weight.data_ptr()
    x = torch.randn(*shape)
    with torch.no_grad():
        block.gate.weight.zero_()
        block.gate.bias.fill_(20.0)  # gate fully open: out == conv(x)
        opened = block(x)
        block.gate.bias.fill_(-20.0)  # gate closed: out == 0 whatever conv(x) is
        closed = block(x)
        block.gate.bias.zero_()  # sigmoid(0) = 1/2
        half = block(x)
    assert closed.abs().max() < 1e-6
    torch.testing.assert_close(half, 0.5 * opened, rtol=1e-5, atol=1e-6)
    assert opened.abs().max() > 0.1


def test_residual_gated_block_keeps_shape_and_adds_the_input():
    block = ResidualGatedBlock1d(6, 12, 3, norm="none")
    x = torch.randn(2, 6, 20)
    assert block(x).shape == x.shape
    with torch.no_grad():
        block.out.weight.zero_()
        block.out.bias.zero_()
    torch.testing.assert_close(block(x), x)
    assert ResidualGatedBlock1d(6, 12, 3)(x).shape == x.shape  # default: instance norm


# -- pixel shuffle -------------------------------------------------------------------------------------
@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_shuffle_1d_layout_and_inverse(r):
    x = torch.randn(2, 4 * r, 5)
    y = PixelShuffle1d(r)(x)
    assert y.shape == (2, 4, 5 * r)
    for c in range(4):
        for j in range(r):  # output channel c, phase j comes from input channel c*r + j
            torch.testing.assert_close(y[:, c, j::r], x[:, c * r + j])
    torch.testing.assert_close(PixelUnshuffle1d(r)(y), x)
    z = torch.randn(2, 4, 6 * r)
    torch.testing.assert_close(PixelShuffle1d(r)(PixelUnshuffle1d(r)(z)), z)


def test_pixel_shuffle_non_contiguous_and_errors():
    x = torch.randn(2, 9, 4).transpose(1, 2)  # [2, 4, 9], not contiguous
    assert PixelShuffle1d(2)(x).shape == (2, 2, 18)
    assert PixelUnshuffle1d(3)(x).shape == (2, 12, 3)
    with pytest.raises(ValueError, match="divisible"):
        PixelShuffle1d(3)(torch.randn(1, 4, 5))
    with pytest.raises(ValueError, match="divisible"):
        PixelUnshuffle1d(2)(torch.randn(1, 4, 5))


# -- phase shuffle -------------------------------------------------------------------------------------
def reference_shift(x: np.ndarray, k: int) -> np.ndarray:
    """WaveGAN's phase shuffle by k: reflect-pad then crop, i.e. out[t] = x[t - k] with mirrored edges."""
    t = x.shape[-1]
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(max(k, 0), max(-k, 0))], mode="reflect")
    start = max(-k, 0)
    return padded[..., start:start + t]


def test_phase_shuffle_is_identity_in_eval_or_with_n_0():
    x = torch.randn(4, 3, 50)
    ps = PhaseShuffle(2).eval()
    assert torch.equal(ps(x), x)
    assert torch.equal(PhaseShuffle(0).train()(x), x)


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2, 3])
def test_phase_shuffle_fixed_shift_is_a_reflect_padded_roll(k):
    x = torch.randn(2, 3, 20)
    y = PhaseShuffle(3)(x, shifts=torch.tensor([k]))
    np.testing.assert_allclose(y.numpy(), reference_shift(x.numpy(), k), rtol=0, atol=0)
    if k == 0:
        assert torch.equal(y, x)
    # interior samples are a plain roll
    np.testing.assert_array_equal(y[..., 3:-3].numpy(), np.roll(x.numpy(), k, axis=-1)[..., 3:-3])


def test_phase_shuffle_per_example_shifts():
    x = torch.randn(3, 2, 16)
    ks = torch.tensor([-2, 0, 1])
    y = PhaseShuffle(2)(x, shifts=ks)
    for i, k in enumerate(ks.tolist()):
        np.testing.assert_array_equal(y[i].numpy(), reference_shift(x[i].numpy(), k))
    with pytest.raises(ValueError, match=r"\[-2, 2\]"):
        PhaseShuffle(2)(x, shifts=torch.tensor([3]))
    with pytest.raises(ValueError, match="shifts"):
        PhaseShuffle(2)(x, shifts=torch.tensor([0, 1]))


def _which_shift(y: np.ndarray, x: np.ndarray, n: int) -> int | None:
    hits = [k for k in range(-n, n + 1) if np.array_equal(y, reference_shift(x, k))]
    return hits[0] if hits else None


@pytest.mark.parametrize("per_sample", [False, True])
def test_random_phase_shuffle_draws_a_shift_within_n(per_sample):
    n = 2
    ps = PhaseShuffle(n, per_sample=per_sample).train()
    x = torch.randn(16, 3, 40)
    y = ps(x)
    assert y.shape == x.shape
    shifts = [_which_shift(y[i].numpy(), x[i].numpy(), n) for i in range(16)]
    assert None not in shifts  # every example is x shifted by some k in [-n, n] (values permuted/reflected)
    if per_sample:
        assert len(set(shifts)) > 1  # one shift per example
    else:
        assert len(set(shifts)) == 1  # one shift per batch, as in the reference code
    seen = {_which_shift(ps(x)[0].numpy(), x[0].numpy(), n) for _ in range(40)}
    assert seen == set(range(-n, n + 1))  # all shifts occur


def test_phase_shuffle_gradient_flows():
    x = torch.randn(2, 3, 30, requires_grad=True)
    w = torch.randn(2, 3, 30)
    (PhaseShuffle(2, per_sample=True)(x) * w).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # every output sample copies exactly one input sample, so the gradient's total equals w's
    torch.testing.assert_close(x.grad.sum(dim=-1), w.sum(dim=-1))


@pytest.mark.parametrize("k", [-2, 0, 1, 2])
def test_phase_shuffle_batch_shift_slice_equals_the_gather_path_with_double_backward(k):
    # one shift per batch takes a slice, per-example shifts take gather: same values, same gradients,
    # and the same second derivatives (what WGAN-GP's penalty differentiates)
    w = torch.randn(3, 2, 24)
    results = []
    for shifts in (torch.tensor([k]), torch.tensor([k, k, k])):
        x = torch.randn(3, 2, 24, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
        y = PhaseShuffle(2)(torch.tanh(x), shifts=shifts)
        (g,) = torch.autograd.grad((y * w).sum(), x, create_graph=True)
        (gg,) = torch.autograd.grad(g.pow(2).sum(), x)
        results.append((y.detach(), g.detach(), gg))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_phase_shuffle_very_short_input():
    assert PhaseShuffle(2)(torch.randn(2, 1, 2)).shape == (2, 1, 2)


# -- skip connections ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["alpha", "constant", "conv"])
@pytest.mark.parametrize("merge, out_channels", [("sum", 4), ("concat", 8)])
def test_skip_connection_channels(kind, merge, out_channels):
    skip = SkipConnection(4, kind=kind, merge=merge)
    y = skip(torch.randn(2, 4, 10), torch.randn(2, 4, 10))
    assert y.shape == (2, out_channels, 10)


def test_skip_connection_kinds_behave():
    dec, enc = torch.randn(2, 4, 10), torch.randn(2, 4, 10)
    torch.testing.assert_close(SkipConnection(4, "constant", "sum")(dec, enc), dec + enc)
    torch.testing.assert_close(SkipConnection(4, "alpha", "sum", init="zero")(dec, enc), dec)
    a = SkipConnection(4, "alpha", "concat", init="one")
    with torch.no_grad():
        a.alpha.copy_(torch.arange(4.0).view(1, 4, 1))
    torch.testing.assert_close(a(dec, enc), torch.cat([dec, enc * torch.arange(4.0).view(1, 4, 1)], 1))
    assert sum(p.numel() for p in SkipConnection(4, "alpha").parameters()) == 4
    assert sum(p.numel() for p in SkipConnection(4, "constant").parameters()) == 0
    assert sum(p.numel() for p in SkipConnection(4, "conv").parameters()) == 4 * 4 + 4
    # concat: the decoder may have a different number of channels
    assert SkipConnection(4, "alpha", "concat")(torch.randn(2, 6, 10), enc).shape == (2, 10, 10)


def test_skip_connection_errors():
    s = SkipConnection(4, "alpha", "sum")
    with pytest.raises(ValueError, match="length"):
        s(torch.randn(2, 4, 10), torch.randn(2, 4, 12))
    with pytest.raises(ValueError, match="input channels"):
        s(torch.randn(2, 4, 10), torch.randn(2, 5, 10))
    with pytest.raises(ValueError, match="input channels"):
        s(torch.randn(2, 3, 10), torch.randn(2, 4, 10))
    with pytest.raises(ValueError, match="expects Tensor"):
        s(torch.randn(4, 10), torch.randn(2, 4, 10))
    with pytest.raises(ValueError):
        SkipConnection(4, kind="gate")
    with pytest.raises(ValueError):
        SkipConnection(4, merge="mul")
    with pytest.raises(ValueError, match="init"):
        SkipConnection(4, init="ones")


# -- virtual batch norm --------------------------------------------------------------------------------
def vbn_reference(x: np.ndarray, ref: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Salimans et al. / SEGAN: per-channel stats of each example mixed 1/(N+1) with the reference's."""
    n = ref.shape[0]
    new = 1.0 / (n + 1.0)
    mean = new * x.mean(axis=2, keepdims=True) + (1 - new) * ref.mean(axis=(0, 2), keepdims=True)
    meansq = new * (x**2).mean(axis=2, keepdims=True) + (1 - new) * (ref**2).mean(axis=(0, 2), keepdims=True)
    return (x - mean) / np.sqrt(meansq - mean**2 + eps)


def test_vbn_matches_the_reference_formula():
    ref = torch.randn(8, 3, 50) * 2 + 1
    x = torch.randn(4, 3, 50) * 0.5 - 1
    vbn = VirtualBatchNorm1d(3)
    vbn.set_reference(ref)
    np.testing.assert_allclose(vbn(x).detach().numpy(), vbn_reference(x.numpy(), ref.numpy()), atol=1e-4)
    assert int(vbn.ref_size) == 8


def test_vbn_normalises_each_example_independently_of_its_batch():
    vbn = VirtualBatchNorm1d(3).train()
    vbn(torch.randn(8, 3, 40))  # first training batch becomes the reference
    x = torch.randn(5, 3, 40)
    together = vbn(x)
    alone = torch.cat([vbn(x[i:i + 1]) for i in range(5)])
    torch.testing.assert_close(together, alone)  # unlike batch norm


def test_vbn_freezes_the_first_training_batch_and_checkpoints_it():
    ref = torch.randn(8, 3, 40) * 3
    vbn = VirtualBatchNorm1d(3).train()
    vbn(ref)
    vbn(torch.randn(8, 3, 40) + 100)  # later batches do not move the reference
    x = torch.randn(2, 3, 40)
    np.testing.assert_allclose(vbn(x).detach().numpy(), vbn_reference(x.numpy(), ref.numpy()), atol=1e-4)
    other = VirtualBatchNorm1d(3).eval()
    other.load_state_dict(vbn.state_dict())
    torch.testing.assert_close(other(x), vbn(x))


def test_vbn_reference_pass_follows_the_current_weights():
    net = nn.Sequential(ConvBlock1d(1, 4, 5, 2, norm="virtual_batch"),
                        ConvBlock1d(4, 4, 5, 2, norm="virtual_batch"))
    ref = torch.randn(6, 1, 64)
    with torch.no_grad(), vbn_reference_pass(net):
        out = net[0].conv(torch.nn.functional.pad(ref, net[0].padding, mode="reflect"))
        ref_out = net[0].norm(out)
    # the reference batch is normalised by its own statistics
    torch.testing.assert_close(ref_out.mean(dim=(0, 2)), torch.zeros(4), atol=1e-5, rtol=0)
    assert not net[0].norm.collecting  # the context resets the mode
    with torch.no_grad(), vbn_reference_pass(net):
        net(ref)
    first = net[1].norm.ref_mean.clone()
    with torch.no_grad():
        net[0].conv.weight.mul_(3.0)  # an optimizer step changes the weights ...
        with vbn_reference_pass(net):
            net(ref)  # ... and the next reference pass tracks them
    assert not torch.allclose(first, net[1].norm.ref_mean)
    assert int(net[1].norm.ref_size) == 6
