"""CTF-GAN generator and discriminators: shapes, budgets, any-length input, determinism, causality."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from audiogan.errors import ConfigError
from audiogan.models.ctfgan import MODEL_DEFAULTS, CTFGANGenerator, build_generator, count_macs
from audiogan.models.metric_discriminator import MetricDiscriminator, SpectralDiscriminators
from audiogan.models.registry import build
from audiogan.nn.tf_blocks import ERBBands, GroupedTemporalConvBlock, erb_filterbank

TINY = {**MODEL_DEFAULTS, "channels": 4, "hidden": 4, "dilations": [1, 2], "rnn_layers": 1}


def _gen(**kw) -> CTFGANGenerator:
    torch.manual_seed(0)
    return build_generator({**TINY, **kw}).eval()


@pytest.mark.parametrize("n", [1, 100, 511, 4000, 4001])
def test_any_length_keeps_shape(n):
    g = _gen()
    with torch.no_grad():
        assert g(torch.randn(2, n)).shape == (2, n)
        assert g(torch.randn(1, 1, n)).shape == (1, 1, n)


def test_rejects_bad_shapes():
    with pytest.raises(ValueError, match="Tensor"):
        _gen()(torch.randn(2, 2, 100))


def test_deterministic_and_batch_independent():
    g = _gen()
    x = torch.randn(3, 3000)
    with torch.no_grad():
        a, b = g(x), g(x)
        single = g(x[1:2])
    assert torch.equal(a, b)
    torch.testing.assert_close(a[1:2], single, atol=1e-5, rtol=1e-4)


def test_causal_in_time():
    """Changing the input's future leaves the past output alone (up to the STFT frame overlap)."""
    g = _gen(normalize=False)
    x = torch.randn(1, 8000)
    y = x.clone()
    y[:, 6000:] += torch.randn(1, 2000)
    with torch.no_grad():
        a, b = g(x), g(y)
    edge = 6000 - g.n_fft  # frames that do not reach sample 6000
    torch.testing.assert_close(a[:, :edge], b[:, :edge], atol=1e-5, rtol=1e-4)
    assert not torch.allclose(a[:, 6000:], b[:, 6000:])


def test_default_budget_params_and_macs():
    """Issue 19: <= 0.5 M parameters and <= 100 MMAC per second of audio (flop counter, STFT excluded)."""
    for cfg in (MODEL_DEFAULTS, {**MODEL_DEFAULTS, "tra": "gru", "rnn_groups": 2}):
        g = build_generator(cfg)
        params = sum(p.numel() for p in g.parameters())
        macs = count_macs(g)
        assert 10_000 < params <= 500_000
        assert 10e6 < macs <= 100e6


def test_mac_counter_counts_the_recurrent_layers():
    assert count_macs(_gen(rnn_layers=2)) > count_macs(_gen(rnn_layers=0))


def test_masks_and_gradients():
    for mask in ("complex", "magnitude"):
        g = _gen(mask=mask).train()
        x = torch.randn(2, 4000)
        g(x).pow(2).mean().backward()
        grads = [p.grad for p in g.parameters() if p.requires_grad]
        assert all(gr is not None and torch.isfinite(gr).all() for gr in grads)


def test_level_invariant_with_normalize():
    g = _gen()
    x = torch.randn(1, 4000) * 0.1
    with torch.no_grad():
        torch.testing.assert_close(g(x * 10) / 10, g(x), atol=1e-5, rtol=1e-3)


def test_bf16_autocast_runs():
    g = _gen()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        y = g(torch.randn(1, 3000))
    assert y.dtype == torch.float32 and torch.isfinite(y).all()


def test_erb_filterbank_partition_of_unity():
    fb = erb_filterbank(512, 65, 64)
    assert fb.shape == (64, 192)
    np.testing.assert_allclose(fb.sum(0), 1.0, atol=1e-6)
    assert (fb.sum(1) > 0).all()
    bands = ERBBands(512, 65, 64)
    x = torch.rand(2, 257)
    assert bands.merge(x).shape == (2, 129)
    torch.testing.assert_close(bands.merge(x).sum(-1), x.sum(-1))  # energy-preserving merge


def test_gt_block_keeps_shape():
    blk = GroupedTemporalConvBlock(4, 6, dilation=2)
    assert blk(torch.randn(2, 4, 10, 9)).shape == (2, 4, 10, 9)


def test_metric_discriminator_range_and_shapes():
    torch.manual_seed(0)
    d = MetricDiscriminator(4)
    out = d(torch.rand(3, 257, 40), torch.rand(3, 257, 40))
    assert out.shape == (3,) and ((out >= 0) & (out <= 1.2)).all()
    with pytest.raises(ValueError, match="one shape"):
        d(torch.rand(3, 257, 40), torch.rand(3, 257, 41))


def test_spectral_discriminators():
    s = SpectralDiscriminators([[256, 64], [128, 32]], channels=4)
    outs = s(torch.randn(2, 4000))
    assert len(outs) == 2 and all(o.shape[:2] == (2, 1) for o in outs)


def test_registry_builds_and_checks():
    cfg = {"model": dict(TINY)}
    assert set(build("ctfgan", cfg)) == {"generator"}
    assert set(build("ctfgan", cfg, discriminators=True)) == {"generator", "discriminator"}
    cfg["model"]["spectral_discriminators"] = True
    assert "spectral" in build("ctfgan", cfg, discriminators=True)
    for bad in ({"channels": 5}, {"mask": "phase"}, {"erb_low": 300}, {"tra": "lstm"}, {"hop": 0}):
        with pytest.raises(ConfigError):
            build("ctfgan", {"model": {**TINY, **bad}})
