"""Conversion metrics: MCD pinned to known values, DTW, F0/V-UV scores, and real-speech sanity figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audiogan.metrics import conversion as c

SR = 16000


def voiced(f0: float = 150.0, dur: float = 0.5, vibrato: float = 0.0, formant: float = 700.0, seed: int = 0):
    """Vowel-like harmonic signal ``[T]`` with an optional 3 Hz vibrato and a movable first formant."""
    t = np.arange(int(dur * SR)) / SR
    f = f0 + vibrato * np.sin(2 * np.pi * 3.0 * t)
    phase = 2 * np.pi * np.cumsum(f) / SR
    x = np.zeros_like(t)
    for k in range(1, int(SR / 2 / (f0 + vibrato))):
        fk = k * f0
        amp = (
            0.02 + np.exp(-0.5 * ((fk - formant) / 120) ** 2) + 0.4 * np.exp(-0.5 * ((fk - 2400) / 250) ** 2)
        )
        x += amp * np.sin(k * phase) / np.sqrt(k)
    x = 0.3 * x / np.abs(x).max()
    return x + 1e-4 * np.random.default_rng(seed).standard_normal(x.size)


def test_mcd_constant():
    assert c.MCD_CONST == pytest.approx(6.141851, abs=1e-6)  # 10·√2 / ln 10


def test_identical_cepstra_give_zero():
    mc = np.random.default_rng(0).standard_normal((50, 24))
    assert c.mcd_aligned(mc, mc) == 0.0
    assert c.mel_cepstral_distortion(mc, mc) == 0.0
    # A time-stretched copy aligns perfectly under DTW.
    assert c.mel_cepstral_distortion(mc, np.repeat(mc, 2, axis=0)) == 0.0


def test_known_cepstral_offset_gives_its_known_value():
    rng = np.random.default_rng(1)
    mc = 10.0 * rng.standard_normal((40, 24))  # frames far apart, so DTW keeps the diagonal
    delta = np.zeros(24)
    delta[0], delta[5] = 0.3, -0.4  # ||delta|| = 0.5
    want = 10 * math.sqrt(2) / math.log(10) * 0.5
    assert c.mcd_aligned(mc, mc + delta) == pytest.approx(want, rel=1e-12)
    assert c.mel_cepstral_distortion(mc, mc + delta, align=False) == pytest.approx(want, rel=1e-12)
    assert c.mel_cepstral_distortion(mc, mc + delta, align=True) == pytest.approx(want, rel=1e-12)
    # Per-frame distances are averaged over frames, not pooled: half the frames offset -> half the MCD.
    est = mc.copy()
    est[::2] += delta
    assert c.mcd_aligned(mc, est) == pytest.approx(want / 2, rel=1e-12)


def test_mcd_is_rms_db_difference_of_log_envelopes():
    """With alpha = 0 the MCD of c1..cD equals the RMS dB difference of the envelopes rebuilt from them."""
    import pysptk

    rng = np.random.default_rng(2)
    ref = 0.3 * rng.standard_normal((8, 25))
    est = ref + 0.1 * rng.standard_normal((8, 25))
    ref[:, 0] = est[:, 0] = 0.0  # c0 (level) is not part of the MCD
    mcd = c.mcd_aligned(ref[:, 1:], est[:, 1:])
    p_ref = np.stack([pysptk.mc2sp(m, 0.0, 512) for m in ref])
    p_est = np.stack([pysptk.mc2sp(m, 0.0, 512) for m in est])
    diff_db = 10 * np.log10(p_ref / p_est)  # [frames, 257] bins 0..pi
    weights = np.ones(257)
    weights[[0, -1]] = 0.5  # the one-sided grid stands for the full circle
    rms = np.sqrt((diff_db**2 * weights).sum(axis=1) / weights.sum())
    assert mcd == pytest.approx(rms.mean(), rel=1e-9)


def test_mel_cepstrum_shape_and_alpha():
    sp = np.tile(np.linspace(1.0, 0.01, 513), (3, 1))
    mc = c.mel_cepstrum(sp, SR)
    assert mc.shape == (3, 25)
    assert c.mcep_alpha(16000) == pytest.approx(0.41) and c.mcep_alpha(22050) == pytest.approx(0.455)
    # A gain only moves c0.
    np.testing.assert_allclose(c.mel_cepstrum(4.0 * sp, SR)[:, 1:], mc[:, 1:], atol=1e-10)


def test_dtw_path_is_monotone_and_complete():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((30, 4)), rng.standard_normal((45, 4))
    i, j = c.dtw_path(a, b)
    assert (i[0], j[0]) == (0, 0) and (i[-1], j[-1]) == (29, 44)
    steps = np.stack([np.diff(i), np.diff(j)], axis=1)
    assert set(map(tuple, steps)) <= {(1, 1), (1, 0), (0, 1)}


def test_f0_scores_known_values():
    ref = np.array([100.0, 200.0, 0.0, 150.0, 0.0])
    est = np.array([110.0, 200.0, 100.0, 0.0, 0.0])
    s = c.f0_scores(ref, est)
    assert s["n_voiced"] == 2
    assert s["f0_rmse"] == pytest.approx(math.sqrt(100 / 2))
    assert s["f0_rmse_cents"] == pytest.approx(math.sqrt((1200 * math.log2(1.1)) ** 2 / 2))
    assert s["f0_corr"] == pytest.approx(1.0)
    assert s["vuv_error"] == pytest.approx(2 / 5)
    none = c.f0_scores(np.zeros(4), np.array([0, 0, 0, 120.0]))
    assert math.isnan(none["f0_rmse"]) and math.isnan(none["f0_corr"]) and none["vuv_error"] == 0.25


def test_identical_and_gain_changed_signals_score_zero():
    x = voiced(vibrato=8.0)
    same = c.score_signals(x, x, SR)
    assert same.mcd == 0.0 and same.mcd_speech == 0.0 and same.f0_rmse == 0.0 and same.vuv_error == 0.0
    assert same.f0_corr == pytest.approx(1.0)
    louder = c.score_signals(x, 0.5 * x, SR)  # level lives in c0, which MCD leaves out
    assert louder.mcd < 0.01 and louder.f0_rmse < 0.01


def test_scores_grow_with_spectral_and_pitch_differences():
    x = voiced(150.0)
    formant = c.score_signals(x, voiced(150.0, formant=1000.0), SR)
    octave = c.score_signals(x, voiced(300.0), SR)
    assert formant.mcd > 1.0 and formant.f0_rmse < 1.5
    assert octave.f0_rmse == pytest.approx(150.0, rel=0.05)
    assert octave.f0_rmse_cents == pytest.approx(1200.0, rel=0.05)
    d = c.score_pair(voiced(150.0, formant=1000.0), x, SR)
    assert d["mcd"] == pytest.approx(formant.mcd) and set(d) >= {"f0_rmse", "f0_corr", "vuv_error"}


def test_speech_frames_keep_what_is_within_40_db_of_the_loudest():
    sp = np.ones((6, 10))
    sp[1] *= 1e-3  # -30 dB: speech
    sp[2] *= 1e-5  # -50 dB: silence
    sp[3] *= 10.0  # the loudest frame: +10 dB, so frame 2 is 60 dB down and frame 1 40 dB down
    assert c.speech_frames(sp).tolist() == [True, True, False, True, True, True]
    assert c.speech_frames(sp, within_db=20.0).tolist() == [True, False, False, True, True, True]


def test_silence_padding_changes_all_frames_mcd_but_not_speech_frames_mcd():
    ref = voiced(150.0, dur=0.8)
    est = voiced(150.0, dur=0.8, formant=900.0, seed=1)
    base = c.score_signals(ref, est, SR)
    silence = 1e-5 * np.random.default_rng(2).standard_normal(SR // 2)  # 0.5 s, ~90 dB below the vowel
    padded = c.score_signals(ref, np.concatenate([silence, est, silence]), SR)
    assert base.mcd_speech > 1.0
    assert padded.mcd_speech == pytest.approx(base.mcd_speech, abs=0.05)
    assert padded.mcd > base.mcd + 1.0  # the silent frames all align to ref frames far away
    assert padded.n_speech_frames == pytest.approx(base.n_speech_frames, abs=4)
    same = c.score_signals(ref, np.concatenate([silence, ref]), SR)
    assert same.mcd_speech < 0.2 and same.mcd > 1.0


def test_mean_scores_skip_nan():
    rows = [
        {"mcd": 4.0, "mcd_speech": 3.0, "f0_rmse": float("nan"), "f0_rmse_cents": 10.0, "f0_corr": 0.5,
         "vuv_error": 0.1},
        {"mcd": 6.0, "mcd_speech": 5.0, "f0_rmse": 20.0, "f0_rmse_cents": 30.0, "f0_corr": 0.7,
         "vuv_error": 0.3},
    ]
    m = c.mean_scores(rows)
    assert m == pytest.approx(
        {"mcd": 5.0, "mcd_speech": 4.0, "f0_rmse": 20.0, "f0_rmse_cents": 20.0, "f0_corr": 0.6,
         "vuv_error": 0.2, "n_files": 2}
    )


def test_real_speech_source_vs_target_and_self(data_root):
    root = data_root / "vcc2016"
    ref, src = root / "TM1" / "100002.flac", root / "SF1" / "100002.flac"
    res = c.score_files(ref, src, src=ref)
    assert res["src"].mcd == 0.0 and res["src"].f0_rmse == 0.0  # TM1 against itself
    cross = res["est"]  # female source against male target: different voice, F0 about an octave apart
    assert 6.0 < cross.mcd < 12.0
    assert cross.f0_rmse > 50.0 and cross.f0_rmse_cents > 600.0
