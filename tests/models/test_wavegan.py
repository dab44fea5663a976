"""WaveGAN generator/discriminator: shapes, sizes, and phase shuffle as the discriminator uses it."""

import pytest
import torch

from audiogan.models.wavegan import (
    SLICE_LENS,
    UPSAMPLE_MODES,
    WaveGANDiscriminator,
    WaveGANGenerator,
    count_parameters,
)
from audiogan.nn.blocks import PhaseShuffle


@pytest.mark.parametrize("slice_len", SLICE_LENS)
@pytest.mark.parametrize("upsample", UPSAMPLE_MODES)
def test_shapes_for_every_length_and_upsampling(slice_len, upsample):
    torch.manual_seed(0)
    g = WaveGANGenerator(slice_len, dim=2, upsample=upsample)
    d = WaveGANDiscriminator(slice_len, dim=2)
    z = g.sample_latent(3)
    x = g(z)
    assert x.shape == (3, 1, slice_len)
    assert x.abs().max() <= 1.0  # tanh output
    assert d(x).shape == (3,)


def test_layer_counts_follow_the_reference():
    # 16384: 5 upsampling layers; the longer slices add a 6th (stride 2 for 32768, 4 for 65536)
    assert len(WaveGANGenerator(16384, dim=2).layers) == 5
    assert len(WaveGANGenerator(32768, dim=2).layers) == 6
    assert len(WaveGANGenerator(65536, dim=2).layers) == 6
    assert WaveGANGenerator(32768, dim=2).layers[-1].conv.stride == (2,)
    assert WaveGANGenerator(65536, dim=2).layers[-1].conv.stride == (4,)
    assert len(WaveGANDiscriminator(16384, dim=2).blocks) == 5
    assert len(WaveGANDiscriminator(32768, dim=2).blocks) == 6


def test_paper_size_at_d64():
    g, d = WaveGANGenerator(dim=64), WaveGANDiscriminator(dim=64)
    assert abs(count_parameters(g) - 19.1e6) < 0.1e6  # the paper's ~19.1 M
    assert abs(count_parameters(d) - 17.4e6) < 0.1e6
    # dense 100 -> 16 x 1024 and channel halving 1024 -> 512 -> 256 -> 128 -> 64 -> 1
    assert g.project.out_features == 16 * 1024
    assert [layer.conv.out_channels for layer in g.layers] == [512, 256, 128, 64, 1]


def test_longer_slices_start_wider():
    g = WaveGANGenerator(32768, dim=4)
    assert g.start_channels == 32 * 4
    assert [layer.conv.out_channels for layer in g.layers] == [64, 32, 16, 8, 4, 1]


def test_post_processing_filter_is_a_512_tap_fir_without_bias():
    torch.manual_seed(0)
    g = WaveGANGenerator(dim=2, post_proc_taps=512)
    assert g.post_proc.weight.shape == (1, 1, 512) and g.post_proc.bias is None
    assert g(g.sample_latent(2)).shape == (2, 1, 16384)


def test_nn_upsampling_has_no_transposed_convs():
    g = WaveGANGenerator(dim=2, upsample="nn")
    assert not any(isinstance(m, torch.nn.ConvTranspose1d) for m in g.modules())


def test_latents_are_uniform_in_unit_interval():
    g = WaveGANGenerator(dim=2)
    z = g.sample_latent(1000, torch.Generator().manual_seed(0))
    assert z.shape == (1000, 100)
    assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.99 and z.max() > 0.99


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="slice_len"):
        WaveGANGenerator(8000)
    with pytest.raises(ValueError, match="upsample"):
        WaveGANGenerator(upsample="linear")
    d = WaveGANDiscriminator(dim=2)
    with pytest.raises(ValueError, match="16384 samples"):
        d(torch.zeros(1, 1, 16000))


def test_discriminator_phase_shuffle_is_random_in_training_and_off_in_eval():
    torch.manual_seed(0)
    d = WaveGANDiscriminator(dim=2, phase_shuffle=2)
    x = torch.randn(2, 1, 16384)
    d.eval()
    assert torch.equal(d(x), d(x))
    d.train()
    outs = {tuple(d(x).tolist()) for _ in range(8)}
    assert len(outs) > 1
    d0 = WaveGANDiscriminator(dim=2, phase_shuffle=0).train()
    assert torch.equal(d0(x), d0(x))


def test_phase_shuffle_shifts_with_reflection_and_one_shift_per_batch():
    ps = PhaseShuffle(2).train()  # reference: one shift for the whole batch
    x = torch.arange(10.0).view(1, 1, 10).repeat(3, 2, 1)
    for k in range(-2, 3):
        y = ps(x, shifts=torch.tensor([k]))
        if k > 0:  # output[t] = input[t - k], reflected at the left edge
            assert y[0, 0, k:].tolist() == x[0, 0, :-k].tolist()
            assert y[0, 0, :k].tolist() == [float(k - t) for t in range(k)]
        elif k < 0:
            assert y[0, 0, :k].tolist() == x[0, 0, -k:].tolist()
        else:
            assert torch.equal(y, x)
    torch.manual_seed(0)
    for _ in range(20):
        y = ps(x)
        assert torch.equal(y[0], y[1]) and torch.equal(y[1], y[2])  # same shift for every example
        shift = int((y[0, 0, 5] - x[0, 0, 5]).item())
        assert -2 <= -shift <= 2


def test_conditional_generator_and_projection_discriminator():
    torch.manual_seed(0)
    g = WaveGANGenerator(16384, dim=2, num_classes=3, embed_dim=4)
    d = WaveGANDiscriminator(16384, dim=2, num_classes=3).eval()
    z, y = g.sample_latent(2), torch.tensor([0, 2])
    x = g(z, y)
    assert x.shape == (2, 1, 16384)
    assert not torch.equal(x, g(z, torch.tensor([1, 1])))  # the label changes the output
    assert g.project.in_features == 100 + 4  # the embedding is joined to z
    # the projection term starts at zero (D starts as the unconditional one) and is <embed(y), h>
    assert torch.equal(d(x, y), d(x, torch.tensor([1, 1])))
    with torch.no_grad():
        d.projection.embed.weight[2].fill_(0.1)
    h = d.blocks[-1](d.blocks[-2](d.blocks[-3](d.blocks[-4](d.blocks[-5](x[:1]))))).transpose(1, 2).flatten(1)
    delta = d(x[:1], torch.tensor([2])) - d(x[:1], torch.tensor([0]))
    assert torch.allclose(delta, 0.1 * h.sum(1), rtol=1e-4, atol=1e-5)
    for bad in (None, torch.tensor([0, 3]), torch.tensor([0])):
        with pytest.raises(ValueError, match="labels|conditional"):
            g(z, bad)
    with pytest.raises(ValueError, match="unconditional"):
        WaveGANGenerator(16384, dim=2)(z, y)


def test_unconditional_state_dicts_are_unchanged():
    # checkpoints written before conditioning (the built-in) must keep loading: no new keys without classes
    g, d = WaveGANGenerator(16384, dim=2), WaveGANDiscriminator(16384, dim=2)
    assert not [k for k in g.state_dict() if "condition" in k]
    assert not [k for k in d.state_dict() if "projection" in k]
    assert "out.weight" in d.state_dict() and "project.weight" in g.state_dict()
