"""SEGAN / SEGAN+ networks: shapes, exact parameter counts, skips and latent handling."""

from __future__ import annotations

import pytest
import torch

from audiogan.models.segan import (
    MODEL_DEFAULTS,
    SEGAN_PLUS_MODEL,
    SEGANDiscriminator,
    SEGANGenerator,
    build_discriminator,
    build_generator,
    check_model_config,
    count_parameters,
)

TINY = dict(
    MODEL_DEFAULTS,
    window=1024,
    g_fmaps=[4, 8, 8],
    g_stride=4,
    z_dim=8,
    skip="alpha",
    d_fmaps=[4, 8, 8],
    d_stride=4,
    d_norm="batch",
    d_phase_shift=2,
    d_head="fc",
    d_fc=[16, 8],
)



def test_segan_plus_generator_has_the_released_parameter_count():
    g = build_generator(SEGAN_PLUS_MODEL)
    assert count_parameters(g) == 64_770_561
    assert g.hop == 4**5  # 16384-sample window -> 16-frame bottleneck


def test_segan_paper_layout():
    g = build_generator(MODEL_DEFAULTS)
    assert len(g.encoder) == 11 and g.hop == 2**11  # 16384 -> 8 frames
    assert [blk.out_channels for blk in g.encoder] == [16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 1024]
    # first decoder layer sees the bottleneck plus z; later ones the concatenated skips
    assert g.decoder[0].in_channels == 1024 + 1024
    assert g.decoder[1].in_channels == 512 + 512
    d = build_discriminator(MODEL_DEFAULTS)
    assert len(d.layers) == 11 and d.frames == 8
    assert type(d.layers[0].norm).__name__ == "VirtualBatchNorm1d"
    assert d.layers[0].act.negative_slope == pytest.approx(0.3)


def test_segan_plus_discriminator_layout():
    d = build_discriminator(SEGAN_PLUS_MODEL)
    assert isinstance(d.layers[0].norm, torch.nn.BatchNorm1d)
    assert all(s.n == 5 for s in d.shifts)
    linears = [m for m in d.fc if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16 * 1024, 256), (256, 128), (128, 1)]


def test_tiny_shapes_and_range():
    torch.manual_seed(0)
    g, d = build_generator(TINY), build_discriminator(TINY)
    x = torch.randn(3, 1, 1024)
    y = g(x)
    assert y.shape == (3, 1, 1024) and y.abs().max() <= 1
    assert d(y, x).shape == (3, 1)
    assert d(torch.cat([y, x], 1)).shape == (3, 1)


def test_latent_is_used_and_can_be_fixed():
    torch.manual_seed(0)
    g = build_generator(TINY).eval()
    for p in g.parameters():  # PReLU starts at 0 and skips at 1: perturb so z reaches the output clearly
        p.data.add_(0.05 * torch.randn_like(p))
    x = torch.randn(2, 1, 1024)
    z = g.sample_z(2, 1024 // g.hop, torch.Generator().manual_seed(1))
    assert z.shape == (2, 8, 1024 // 64)
    assert torch.equal(g(x, z), g(x, z))
    assert not torch.allclose(g(x, z), g(x, torch.zeros_like(z)))


def test_no_latent_and_no_skips():
    g = SEGANGenerator([4, 8], 5, 2, z_dim=0, skip="none")
    assert g.sample_z(1, 4) is None
    assert g(torch.randn(1, 1, 16)).shape == (1, 1, 16)


def test_bad_lengths_are_clear_errors():
    g = build_generator(TINY)
    with pytest.raises(ValueError, match="divisible by 64"):
        g(torch.randn(1, 1, 1000))
    d = build_discriminator(TINY)
    with pytest.raises(ValueError, match="windows of 1024"):
        d(torch.randn(1, 2, 2048))
    with pytest.raises(ValueError, match="multiple"):
        check_model_config(dict(TINY, window=1000))
    with pytest.raises(ValueError, match="head"):
        SEGANDiscriminator([4], 5, 2, window=16, head="bogus")


# -- reference fixes (TF SEGAN / segan_pytorch) -----------------------------------------------------
def test_skips_carry_the_encoder_output_before_its_prelu(monkeypatch):
    from audiogan.nn import blocks

    seen = []
    original = blocks.SkipConnection.forward

    def spy(self, decoder, skip):
        seen.append(skip.detach().clone())
        return original(self, decoder, skip)

    monkeypatch.setattr(blocks.SkipConnection, "forward", spy)
    torch.manual_seed(0)
    g = build_generator(TINY)
    # PReLUs start at slope 0: a skip taken after the activation would have no negative values
    prelus = [m for m in g.modules() if isinstance(m, torch.nn.PReLU)]
    assert all(float(m.weight.detach().abs().max()) == 0 for m in prelus)
    x = torch.randn(2, 1, 1024)
    with torch.no_grad():
        g(x)
        assert seen and all(bool((s < 0).any()) for s in seen)
        h = x
        for layer in g.encoder[:-2]:
            h = layer(h)
        torch.testing.assert_close(seen[0], g.encoder[-2].preactivation(h))


def test_weights_start_as_in_segan_pytorch():
    torch.manual_seed(0)
    g, d = build_generator(SEGAN_PLUS_MODEL), build_discriminator(SEGAN_PLUS_MODEL)
    kinds = (torch.nn.Conv1d, torch.nn.ConvTranspose1d)
    convs = [m for m in [*g.modules(), *d.modules()] if isinstance(m, kinds)]
    weights = torch.cat([m.weight.detach().flatten() for m in convs])
    assert abs(float(weights.mean())) < 1e-3
    assert float(weights.std()) == pytest.approx(0.02, rel=0.02)
    assert all(float(m.bias.detach().abs().max()) == 0 for m in convs if m.bias is not None)
    for lin in (m for m in d.modules() if isinstance(m, torch.nn.Linear)):
        bound = (6 / (lin.in_features + lin.out_features)) ** 0.5  # Xavier-uniform
        assert float(lin.weight.detach().abs().max()) <= bound
        assert float(lin.weight.detach().abs().max()) > 0.9 * bound


def test_segan_plus_discriminator_follows_segan_pytorch():
    from audiogan.nn.blocks import PhaseShuffle

    d = build_discriminator(SEGAN_PLUS_MODEL)
    for layer in d.layers:
        assert isinstance(layer.norm, torch.nn.BatchNorm1d)
        assert isinstance(layer.act, torch.nn.PReLU)
        assert layer.padding_mode == "reflect"
    shifts = [m for m in d.modules() if isinstance(m, PhaseShuffle)]
    assert len(shifts) == 5 and all(s.n == 5 and s.mode == "circular" for s in shifts)
    acts = [m for m in d.fc if not isinstance(m, torch.nn.Linear)]
    assert [type(a) for a in acts] == [torch.nn.PReLU, torch.nn.PReLU]
    assert [m.out_features for m in d.fc if isinstance(m, torch.nn.Linear)] == [256, 128, 1]
    # the paper's SEGAN keeps LeakyReLU(0.3), zero padding and virtual batch norm
    paper = build_discriminator(MODEL_DEFAULTS)
    assert isinstance(paper.layers[0].act, torch.nn.LeakyReLU) and paper.layers[0].padding_mode == "constant"


def test_circular_phase_shift_wraps_around():
    from audiogan.nn.blocks import PhaseShuffle

    x = torch.arange(8.0).reshape(1, 1, 8)
    torch.testing.assert_close(PhaseShuffle(2, mode="circular")(x, shifts=2), torch.roll(x, 2, dims=-1))
    torch.testing.assert_close(PhaseShuffle(2, mode="circular")(x, shifts=-1), torch.roll(x, -1, dims=-1))


def test_old_configs_without_the_new_discriminator_keys_still_build():
    from audiogan.tasks.segan import SEGANTask

    old = {k: v for k, v in TINY.items() if k not in ("d_activation", "d_padding", "d_shift_mode")}
    nets = SEGANTask.build_networks({"model": old})
    assert isinstance(nets["discriminator"].layers[0].act, torch.nn.LeakyReLU)
