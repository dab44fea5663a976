"""audiogan.inference.classical: the log-MMSE and noisereduce baselines lower stationary noise, keep shapes
and channels, pass too-short input through, leave numpy's error settings alone, and stream like the model
enhancers."""

from __future__ import annotations

import numpy as np
import pytest

from audiogan.errors import AudioGanError
from audiogan.inference.classical import METHODS, LogMMSE, NoiseReduce, load_classical

SR = 16000


def noisy_bursts(seconds: float = 2.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(clean, noisy): 300 ms tone bursts after a 300 ms lead-in of noise only; white noise at about 10 dB."""
    t = np.arange(int(seconds * SR)) / SR
    gate = ((t > 0.3) & ((t % 0.5) < 0.3)).astype(float)
    clean = 0.3 * np.sin(2 * np.pi * 220 * t) * gate
    noise = 0.03 * np.random.default_rng(seed).standard_normal(t.size)
    return clean.astype(np.float32), (clean + noise).astype(np.float32)


def test_load_classical_names_its_methods():
    assert METHODS == ("logmmse", "noisereduce") and isinstance(load_classical("logmmse"), LogMMSE)
    assert isinstance(load_classical("noisereduce"), NoiseReduce)
    with pytest.raises(AudioGanError, match=r"'wiener' \(choose from: logmmse, noisereduce\)"):
        load_classical("wiener")


def test_importing_the_package_leaves_numpy_error_settings_alone():
    before = np.geterr()
    LogMMSE().enhance(noisy_bursts(0.5)[1], SR)
    assert np.geterr() == before
    np.float32(1e-30) * np.float32(1e-30)  # an underflow elsewhere stays harmless


@pytest.mark.parametrize("method", METHODS)
def test_noise_between_bursts_drops_and_the_bursts_stay(method):
    clean, noisy = noisy_bursts()
    y = load_classical(method).enhance(noisy, SR)
    assert y.shape == noisy.shape and y.dtype == np.float32 and np.isfinite(y).all()
    t = np.arange(clean.size) / SR
    gaps = (t > 0.35) & ((t % 0.5) > 0.33) & ((t % 0.5) < 0.47)  # noise only, away from the edges
    bursts = (t > 0.3) & ((t % 0.5) > 0.05) & ((t % 0.5) < 0.25)
    reduction_db = 10 * np.log10(np.mean(noisy[gaps] ** 2) / np.mean(y[gaps] ** 2))
    assert reduction_db > 6.0
    kept = np.sqrt(np.mean(y[bursts] ** 2) / np.mean(clean[bursts] ** 2))
    if method == "logmmse":
        assert 0.7 < kept < 1.3  # the tone keeps its level
    else:  # its default non-stationary gating (2 s time constant) also lowers steady tones a lot
        assert kept > 0.2


def test_channels_are_enhanced_on_their_own_and_short_input_passes_through():
    _, a = noisy_bursts(seed=1)
    _, b = noisy_bursts(seed=2)
    enh = LogMMSE()
    both = enh.enhance(np.stack([a, b]), SR)
    assert both.shape == (2, a.size)
    np.testing.assert_allclose(both[0], enh.enhance(a, SR), atol=1e-6)
    np.testing.assert_allclose(both[1], enh.enhance(b, SR), atol=1e-6)
    short = a[: int(0.02 * SR) * 8 - 1]  # shorter than its noise estimate plus two frames
    np.testing.assert_array_equal(enh.enhance(short, SR), short)


def test_stream_gives_the_whole_file_result_once():
    _, x = noisy_bursts(1.0)
    enh = LogMMSE()
    blocks = [x[None, i : i + 3000] for i in range(0, x.size, 3000)]
    out = list(enh.stream(blocks, SR, 1))
    assert len(out) == 1
    np.testing.assert_allclose(out[0][0], enh.enhance(x, SR), atol=1e-6)
    assert list(enh.stream([], SR, 2)) == []
