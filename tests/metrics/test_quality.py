"""DNSMOS P.835 (`audiogan.metrics.quality`): noise lowers BAK, other rates/channels are converted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audiogan.errors import AudioError, AudioGanError
from audiogan.metrics import quality

pytestmark = pytest.mark.skipif(not quality.dnsmos_available(), reason="needs speechmos and onnxruntime")

SR = 16000
SECONDS = 4.6  # the harmonic_tone default: one DNSMOS window


def with_noise(x: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    n = np.random.default_rng(seed).standard_normal(x.size)
    return (x + n * np.sqrt(np.sum(x**2) / np.sum(n**2) / 10 ** (snr_db / 10))).astype(np.float32)


@pytest.fixture(scope="module")
def clean_scores(harmonic_tone) -> dict[str, float]:
    return quality.dnsmos(harmonic_tone(), SR)


def test_noise_lowers_bak(clean_scores, harmonic_tone):
    noisy = quality.dnsmos(with_noise(harmonic_tone(), 0.0), SR)
    assert list(clean_scores) == ["sig", "bak", "ovrl", "p808"]
    assert all(1.0 <= v <= 5.0 for v in (*clean_scores.values(), *noisy.values()))
    assert clean_scores["bak"] > noisy["bak"] + 1.0
    assert clean_scores["ovrl"] > noisy["ovrl"]


def test_44k_stereo_is_resampled_and_downmixed(clean_scores, harmonic_tone):
    x = harmonic_tone(sr=44100)
    y = quality.prepare(np.stack([x, 0.5 * x]), 44100)  # [2, T] -> the channel mean 0.75 x at 16 kHz
    assert y.shape == (int(SR * SECONDS),)
    assert np.abs(y - 0.75 * harmonic_tone())[100:-100].max() < 0.01
    scores = quality.dnsmos(np.stack([x, x]), 44100)  # DNSMOS depends on level: same level as the 16 kHz tone
    assert all(math.isfinite(v) for v in scores.values())
    for k in quality.DNSMOS_KEYS:
        assert scores[k] == pytest.approx(clean_scores[k], abs=0.05), k


def test_prepare_scales_down_overshoot_and_rejects_bad_input():
    y = quality.prepare(np.array([[0.5, -2.0, 1.0, 0.0]] * 2, dtype=np.float32), SR)
    assert y.shape == (4,) and np.abs(y).max() == pytest.approx(1.0)
    with pytest.raises(AudioError):
        quality.prepare(np.array([0.1, np.nan], dtype=np.float32), SR)
    with pytest.raises(AudioError):
        quality.prepare(np.zeros(0, dtype=np.float32), SR)


def test_missing_package_is_one_clear_error(monkeypatch, harmonic_tone):
    monkeypatch.setattr(quality, "dnsmos_available", lambda: False)
    with pytest.raises(AudioGanError, match=r"speechmos.*pip install '\.\[eval\]'"):
        quality.dnsmos(harmonic_tone(seconds=0.5), SR)
