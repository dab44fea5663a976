"""On-the-fly mixtures: a pure function of the sampler key (determinism, resume), the SNR it sets, the
telephone band, shapes and config errors. Tiny synthetic data dirs; a 2-RIR bank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from audiogan.data.corrupt import active_power, load_rir_bank, reverberate, simulate_rir_bank
from audiogan.data.mix import active_mask, measure_snr
from audiogan.data.onthefly import MIX_DEFAULTS, OnTheFlyMixtures, check_mix
from audiogan.errors import ConfigError, DataDirError
from tests.data.test_mix import SR, speechy, write_dir

SEG = 8000
QUIET = dict(p_clean=0.0, p_babble=0.0, p_reverb=0.0, p_eq=0.0, p_telephone=0.0, rir_count=0)
ALL_ON = dict(p_babble=0.3, p_reverb=0.5, p_eq=0.5, p_telephone=0.5, rir_count=2, rt60_range=[0.2, 0.3])


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("otf")
    clean = write_dir(root / "clean", {f"spk{s}-u{k}": (speechy(0.4 + 0.7 * k, seed=10 * s + k), SR)
                                       for s in range(3) for k in range(2)})
    rng = np.random.default_rng(0)
    noise = write_dir(root / "noise", {"white": ((0.1 * rng.standard_normal(3 * SR)).astype(np.float32), SR),
                                       "hum": ((0.2 * np.sin(np.arange(SR) / SR * 2 * np.pi * 120)).astype(
                                           np.float32), SR)})
    return clean, noise


def make(dirs, mix, cache=None, **kw) -> OnTheFlyMixtures:
    return OnTheFlyMixtures(dirs[0], dirs[1], segment=SEG, mix=mix, cache_dir=cache, epoch_size=50, **kw)


def test_shapes_and_determinism(dirs, tmp_path):
    ds = make(dirs, ALL_ON, tmp_path / "cache")
    assert len(ds) == 50
    items = [ds[(i, 1000 + i)] for i in range(12)]
    for it in items:
        assert set(it) == {"noisy", "clean"}
        for v in it.values():
            assert v.dtype == torch.float32 and v.shape == (SEG,) and torch.isfinite(v).all()
        assert float(it["noisy"].abs().max()) <= 0.99 + 1e-6
    again = ds[(3, 1003)]
    assert all(torch.equal(again[k], items[3][k]) for k in again)
    assert not torch.equal(ds[(3, 1004)]["noisy"], items[3]["noisy"])
    assert torch.equal(ds[5]["noisy"], ds[5]["noisy"])  # plain int keys (evaluation) are fixed too


def test_resume_sees_the_same_items(dirs, tmp_path):
    keys = [(i % 50, 7 * i + 3) for i in range(20, 30)]
    first = make(dirs, ALL_ON, tmp_path / "c")
    before = [first[k] for k in keys]
    cached = make(dirs, ALL_ON, tmp_path / "c")  # a restart: audio and RIRs from the cache (memory-mapped)
    assert cached.clean._audio is None and len(list((tmp_path / "c").glob("audio-*.npy"))) == 2
    uncached = make(dirs, ALL_ON, None)  # and one that decodes and simulates everything again
    for ds in (cached, uncached):
        for k, b in zip(keys, before):
            it = ds[k]
            assert torch.equal(it["noisy"], b["noisy"]) and torch.equal(it["clean"], b["clean"])


def test_snr_is_set_on_active_speech(dirs):
    for snr in (-5.0, 10.0):
        ds = make(dirs, dict(QUIET, snr_range=[snr, snr]))
        got = []
        for i in range(8):
            it = ds[(i, i)]
            clean, noise = it["clean"].double().numpy(), (it["noisy"].double() - it["clean"].double()).numpy()
            got.append(measure_snr(clean, noise, SR, "active"))
        assert np.allclose(got, snr, atol=1.0), got


def test_active_power_matches_the_mixers_definition():
    x = speechy(2.0, seed=3).astype(np.float64)
    ref = float(np.mean(x[active_mask(x, SR)] ** 2))
    assert abs(10 * np.log10(active_power(x, SR) / ref)) < 0.5
    assert active_power(np.zeros(4000), SR) == 0.0


@pytest.mark.parametrize("resample", [0.0, 1.0])
def test_telephone_band_removes_energy_above_4khz(dirs, resample):
    ds = make(dirs, dict(QUIET, p_telephone=1.0, p_resample8k=resample, snr_range=[-5.0, -5.0]))
    full = make(dirs, dict(QUIET, snr_range=[-5.0, -5.0]))
    f = np.fft.rfftfreq(SEG, 1 / SR)

    def high_share(x: torch.Tensor) -> float:
        p = np.abs(np.fft.rfft(x.double().numpy())) ** 2
        return float(p[f > 4000].sum() / p.sum())

    for i in range(4):
        assert high_share(ds[(i, i)]["noisy"]) < 0.01
        assert high_share(ds[(i, i)]["clean"]) < 0.01
    assert max(high_share(full[(i, i)]["noisy"]) for i in range(4)) > 0.1  # the white noise had plenty


def test_reverberate_aligns_on_the_direct_path():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(4000)
    rir = np.zeros(3000)
    rir[[30, 50, 2500]] = [1.0, 0.5, 0.1]  # propagation delay 30, an early and a late reflection
    wet, target = reverberate(x, rir, SR, early_ms=5.0)  # 5 ms = 80 samples: the first reflection only
    assert wet.shape == target.shape == x.shape
    early = x.copy()
    early[20:] += 0.5 * x[:-20]
    np.testing.assert_allclose(target, early, atol=1e-9)
    late = early.copy()
    late[2470:] += 0.1 * x[:-2470]
    np.testing.assert_allclose(wet, late, atol=1e-9)
    np.testing.assert_allclose(reverberate(x, rir, SR, early_ms=0.0)[1], x)


def test_rir_bank_is_seeded_and_normalised(tmp_path):
    a, la = load_rir_bank(tmp_path, 2, SR, [0.2, 0.3], seed=5)
    b, lb = load_rir_bank(tmp_path, 2, SR, [0.2, 0.3], seed=5)  # from the cache
    c, _ = simulate_rir_bank(2, SR, [0.2, 0.3], seed=5)
    assert len(list(tmp_path.glob("rirs-*.npz"))) == 1
    assert np.array_equal(a, b) and np.array_equal(a, c) and np.array_equal(la, lb)
    assert np.allclose(np.abs(a).max(axis=1), 1.0) and a.dtype == np.float32


def test_reverberant_items_keep_the_target_drier(dirs):
    ds = make(dirs, dict(QUIET, p_reverb=1.0, rir_count=2, rt60_range=[0.5, 0.6], snr_range=[50.0, 50.0]))
    it = ds[(0, 4)]
    assert not torch.allclose(it["noisy"], it["clean"], atol=1e-3)  # the room's tail is in the input only


@pytest.mark.parametrize("mix, match", [
    ({"snr_rnage": [0, 5]}, "unknown config key 'data.mix.snr_rnage'"),
    ({"p_reverb": 1.5}, "p_reverb"),
    ({"snr_range": [10, 0]}, "snr_range"),
    ({"babble_talkers": [0, 2]}, "babble_talkers"),
    ({"level_range": [-20, 3]}, "level_range"),
    ({"p_telephone": "often"}, "p_telephone"),
])
def test_bad_config(mix, match):
    with pytest.raises(ConfigError, match=match):
        check_mix(mix)


def test_defaults_and_bad_inputs(dirs, tmp_path):
    assert check_mix(None) == check_mix({}) and set(check_mix(None)) == set(MIX_DEFAULTS)
    with pytest.raises(ConfigError, match="positive"):
        OnTheFlyMixtures(dirs[0], dirs[1], segment=0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataDirError, match="wav.scp"):
        OnTheFlyMixtures(tmp_path / "empty", dirs[1], segment=SEG, mix=QUIET)
