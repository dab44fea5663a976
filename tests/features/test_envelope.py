"""Envelope features: SPTK mel-cepstra (sp2mc -> mc2sp) beside WORLD's coded envelope."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audiogan.errors import ConfigError
from audiogan.features import envelope as env
from audiogan.features import world as w

SR = 16000
MCD = 10.0 * math.sqrt(2.0) / math.log(10.0)


def voiced(f0: float = 150.0, dur: float = 0.6) -> np.ndarray:
    """Vowel-like ``[T]``: harmonics of ``f0`` shaped by three formants, a tiny noise floor."""
    t = np.arange(int(dur * SR)) / SR
    x = np.zeros_like(t)
    for k in range(1, int(SR / 2 / f0)):
        amp = 0.02 + sum(g * np.exp(-0.5 * ((k * f0 - fc) / bw) ** 2)
                         for fc, bw, g in ((700, 120, 1.0), (1200, 150, 0.6), (2600, 250, 0.3)))
        x += amp * np.sin(2 * np.pi * k * f0 * t) / np.sqrt(k)
    return 0.3 * x / np.abs(x).max() + 1e-4 * np.random.default_rng(0).standard_normal(x.size)


def _lsd_db(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((10 * np.log10(a / b)) ** 2)))


@pytest.fixture(scope="module")
def sp() -> np.ndarray:
    return w.analyze(voiced(), w.WorldConfig()).sp


@pytest.mark.parametrize("dim", [25, 36])  # SPTK orders 24 and 35
def test_mcep_round_trip_spectral_distortion_is_small(sp, dim):
    mc = env.sp_to_mcep(sp, SR, dim)
    assert mc.shape == (sp.shape[0], dim)
    back = env.mcep_to_sp(mc, SR, 1024)
    assert back.shape == sp.shape and np.all(back > 0)
    # the order-limited cepstrum smooths the envelope no more than WORLD's coding does
    coded = env.decode_envelope(env.code_envelope(sp, SR, 36), SR, 1024)
    assert _lsd_db(sp, back) < 4.0 and _lsd_db(sp, back) < _lsd_db(sp, coded) + 0.5
    # and it is exact on its own smoothed envelope: re-analysis gives the same cepstrum (MCD in dB)
    again = env.sp_to_mcep(back, SR, dim)
    assert MCD * np.sqrt(((again[:, 1:] - mc[:, 1:]) ** 2).sum(axis=1)).mean() < 0.05


def test_alpha_default_is_the_metrics():
    from audiogan.metrics import conversion

    assert env.mcep_alpha(SR) == pytest.approx(conversion.mcep_alpha(SR)) == pytest.approx(0.41)


def test_dispatch_by_config_kind(sp):
    class Cfg:  # a config without the envelope keys decodes as WORLD's coded envelope
        sample_rate, coded_dim, resolved_fft_size = SR, 36, 1024

    np.testing.assert_allclose(env.encode(sp, Cfg()), env.code_envelope(sp, SR, 36))
    Cfg.envelope, Cfg.mcep_alpha = "mcep", 0.42
    mc = env.encode(sp, Cfg())
    np.testing.assert_allclose(mc, env.sp_to_mcep(sp, SR, 36, 0.42))
    np.testing.assert_allclose(env.decode(mc, Cfg()), env.mcep_to_sp(mc, SR, 1024, 0.42))


@pytest.mark.parametrize("kind, alpha", [("lpc", None), ("mcep", 1.0), ("mcep", "0.4"), ("mcep", True)])
def test_bad_envelope_settings_are_config_errors(kind, alpha):
    with pytest.raises(ConfigError):
        env.check_envelope(kind, alpha)


def test_mcep_archive_loads_and_synthesises(tmp_path):
    """`extract --envelope mcep` -> feats.scp + world.json; the archive decodes (by the stored kind) to an
    envelope that synthesises speech with the same spectral shape."""
    import soundfile as sf

    from audiogan.features import commands

    x = voiced(dur=0.5)
    d = tmp_path / "data"
    d.mkdir()
    sf.write(d / "u1.wav", x.astype(np.float32), SR, subtype="FLOAT")
    (d / "wav.scp").write_text(f"u1 {d / 'u1.wav'}\n")
    assert commands.main(["extract", "--datadir", str(d), "--envelope", "mcep", "--coded-dim", "25",
                          "--f0-method", "dio", "--no-progress"]) == 0
    cfg = w.load_world_config(d)
    assert cfg.envelope == "mcep" and cfg.coded_dim == 25 and cfg.mcep_alpha is None
    feats = w.load_feats(d / w.FEATS_SCP)["u1"]
    ref = w.analyze(x.astype(np.float32).astype(np.float64), cfg)
    np.testing.assert_allclose(feats["coded_sp"], env.sp_to_mcep(ref.sp, SR, 25), rtol=1e-4, atol=1e-4)
    sp = env.decode(feats["coded_sp"], cfg)
    ap = w.decode_aperiodicity(feats["coded_ap"], SR, cfg.resolved_fft_size)
    y = w.synthesize(feats["f0"], sp, ap, SR, cfg.frame_period)
    assert np.isfinite(y).all() and abs(len(y) - len(x)) <= SR * 5 // 1000
    again = w.analyze(y[: len(x)], cfg).sp
    assert _lsd_db(ref.sp[10:-10], again[10:-10]) < 6.0


def test_world_config_carries_the_envelope_kind():
    cfg = w.WorldConfig.from_dict({"envelope": "mcep", "mcep_alpha": 0, "coded_dim": 25})
    assert cfg.mcep_alpha == 0.0 and isinstance(cfg.mcep_alpha, float)
    assert w.WorldConfig.from_dict(cfg.to_dict()) == cfg
    old = {k: v for k, v in w.WorldConfig().to_dict().items() if k not in ("envelope", "mcep_alpha")}
    assert w.WorldConfig.from_dict(old).envelope == "coded"  # world.json and checkpoints from before
    with pytest.raises(ConfigError, match="envelope"):
        w.WorldConfig(envelope="lpc")
