"""Mel-cepstral analysis of files for the GMM baseline: shapes, the scorer's alpha, speech frames."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from audiogan.features import envelope, mcep, world

SR = 16000


def _tone_with_silence() -> np.ndarray:
    t = np.arange(int(0.5 * SR)) / SR
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 20))
    x = 0.3 * x / np.abs(x).max()
    return np.concatenate([1e-5 * np.random.default_rng(0).standard_normal(SR // 4), x])


def test_analyze_mcep_of_a_file(tmp_path):
    x = _tone_with_silence()
    sf.write(tmp_path / "a.wav", x.astype(np.float32), SR, subtype="FLOAT")
    cfg = world.WorldConfig(f0_method="dio")
    out = mcep.analyze_many({"u1": tmp_path / "a.wav"}, cfg, order=24)["u1"]
    n = out["f0"].shape[0]
    assert out["mc"].shape == (n, 25) and out["energy_db"].shape == (n,)
    sp = world.analyze(x.astype(np.float32).astype(np.float64), cfg).sp  # as stored in the file
    np.testing.assert_allclose(out["mc"], envelope.sp_to_mcep(sp, SR, 25), rtol=1e-4, atol=1e-5)
    speech = mcep.speech_mask(out["energy_db"])
    quiet = int(0.25 * SR / (SR * 5 // 1000))  # frames of the leading near-silence
    assert not speech[5 : quiet - 5].any() and speech[quiet + 5 : -5].all()
