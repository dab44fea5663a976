"""Objective voice-conversion scores: mel-cepstral distortion (MCD), F0 RMSE/correlation, V/UV error.

How a pair (reference = target speaker's utterance, estimate = converted utterance) is scored:

1. Both signals are analysed with WORLD at the reference's sample rate (the estimate is resampled to it):
   F0 by Harvest (71-800 Hz, 5 ms frames; ``f0_method="dio"`` for DIO+StoneMask), spectral envelope by
   CheapTrick (power spectrum, pyworld's default FFT size).
2. Mel-cepstra: ``pysptk.sp2mc(sp, order=D, alpha=pysptk.util.mcepalpha(sr))`` (SPTK's one-sided
   mel-cepstrum of the CheapTrick power envelope; ``alpha`` = 0.41 at 16 kHz, 0.455 at 22.05 kHz,
   0.466 at 24 kHz, 0.544 at 44.1 kHz). D = 24 by default. c0 (energy) is dropped: only c1..cD are used.
3. The two c1..cD sequences are aligned by DTW (librosa.sequence.dtw on the Euclidean frame distance,
   steps (1,1), (1,0), (0,1), equal weights). Every later average runs over the L pairs of the DTW path.
4. ``MCD = 10·√2/ln 10 · mean_path sqrt(Σ_{d=1..D} (c_d - ĉ_d)²)`` in dB (10·√2/ln 10 ≈ 6.14185). With
   SPTK's one-sided cepstra this equals the RMS difference in dB of the two (mel-warped, cepstrally
   smoothed) log power envelopes with their mean level removed.
5. On the same path: F0 RMSE in Hz (and in cents, ``1200·log2(f̂0/f0)``) and Pearson correlation over the
   pairs voiced in both (F0 > 0 in both); V/UV error = fraction of pairs whose voicing decisions differ.

6. Two MCD figures, each named:
   - ``mcd`` (**all frames**): steps 3-4 over every frame of both files, leading/trailing silence included;
   - ``mcd_speech`` (**speech frames**): before DTW, each side keeps only its frames within
     ``speech_db`` (40) dB of the loudest frame of that utterance, frame energy being
     ``10·log10 Σ_f sp[n, f]`` of the CheapTrick power envelope; the kept c1..cD frames are then aligned by
     DTW and averaged as in step 4. Silence added before, after or inside an utterance changes ``mcd`` but
     not ``mcd_speech``. F0 and V/UV scores use the all-frames path.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from audiogan.errors import AudioGanError
from audiogan.features.world import WorldConfig, analyze, load_wave

MCD_CONST = 10.0 * math.sqrt(2.0) / math.log(10.0)
DEFAULT_ORDER = 24
# DTW needs an N x M cost matrix; beyond this many cells (~800 MB) the utterances are too long to align.
MAX_DTW_CELLS = 100_000_000
SPEECH_DB = 40.0  # mcd_speech keeps the frames within this many dB of the loudest frame


@dataclass(frozen=True)
class ScoreSettings:
    """Analysis settings for scoring; ``world.sample_rate`` is replaced by each reference file's rate."""

    order: int = DEFAULT_ORDER
    alpha: float | None = None  # None: pysptk.util.mcepalpha(rate)
    speech_db: float = SPEECH_DB  # mcd_speech: frames within this many dB of the utterance's loudest frame
    world: WorldConfig = field(default_factory=WorldConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.order, int) or not 1 <= self.order <= 60:
            raise AudioGanError(f"mel-cepstrum order must be an integer in 1..60, got {self.order!r}")
        if self.alpha is not None and not -1 < self.alpha < 1:
            raise AudioGanError(f"all-pass constant alpha must be in (-1, 1), got {self.alpha!r}")
        if not 0 < self.speech_db <= 200:
            raise AudioGanError(f"speech-frame threshold must be in (0, 200] dB, got {self.speech_db!r}")


@dataclass
class ConversionScores:
    """Scores of one pair. ``n_frames``: DTW path length; ``n_voiced``: path pairs voiced in both;
    ``n_speech_frames``: DTW path length over the speech frames (``mcd_speech``).

    ``f0_rmse``/``f0_rmse_cents``/``f0_corr`` are NaN when fewer than 2 pairs are voiced in both
    (``f0_corr`` also when either F0 contour is constant there).
    """

    mcd: float
    mcd_speech: float
    f0_rmse: float
    f0_rmse_cents: float
    f0_corr: float
    vuv_error: float
    n_frames: int
    n_voiced: int
    n_speech_frames: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


METRICS = ("mcd", "mcd_speech", "f0_rmse", "f0_rmse_cents", "f0_corr", "vuv_error")


# ---------------------------------------------------------------------------------------------- pieces


def mcep_alpha(sample_rate: int) -> float:
    """SPTK's all-pass constant approximating the mel scale at ``sample_rate`` (0.41 at 16 kHz)."""
    import pysptk

    return float(pysptk.util.mcepalpha(int(sample_rate)))


def mel_cepstrum(
    sp: np.ndarray, sample_rate: int, order: int = DEFAULT_ORDER, alpha: float | None = None
) -> np.ndarray:
    """Mel-cepstrum ``ndarray[N, order+1]`` (c0..c_order) of a power envelope ``sp: ndarray[N, F]``.

    ``pysptk.sp2mc`` with ``alpha = mcep_alpha(sample_rate)`` unless given.
    """
    import pysptk

    a = mcep_alpha(sample_rate) if alpha is None else float(alpha)
    # CheapTrick never returns 0, but a floor keeps log() finite for envelopes from elsewhere.
    sp = np.maximum(np.asarray(sp, dtype=np.float64), 1e-16)
    return pysptk.sp2mc(sp, int(order), a)


def dtw_path(ref: np.ndarray, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DTW alignment of ``ref: ndarray[N, D]`` and ``est: ndarray[M, D]`` on Euclidean frame distance.

    Returns index arrays ``(i[L], j[L])`` from (0, 0) to (N-1, M-1), monotone, so ``ref[i]`` pairs with
    ``est[j]``.
    """
    import librosa
    from scipy.spatial.distance import cdist

    ref = np.asarray(ref, dtype=np.float64)
    est = np.asarray(est, dtype=np.float64)
    if ref.ndim != 2 or est.ndim != 2 or ref.shape[1] != est.shape[1] or not len(ref) or not len(est):
        raise ValueError(f"dtw_path: need [N, D] and [M, D] arrays, got {ref.shape} and {est.shape}")
    if ref.shape[0] * est.shape[0] > MAX_DTW_CELLS:
        raise AudioGanError(
            f"utterances too long to align ({ref.shape[0]} x {est.shape[0]} frames); "
            "split them into sentences"
        )
    cost = cdist(ref, est, metric="euclidean")
    _, wp = librosa.sequence.dtw(C=cost, backtrack=True)
    wp = wp[::-1]
    return wp[:, 0].astype(np.int64), wp[:, 1].astype(np.int64)


def mcd_aligned(ref_c: np.ndarray, est_c: np.ndarray) -> float:
    """MCD in dB of frame-paired mel-cepstra ``ref_c, est_c: ndarray[L, D]`` holding c1..cD (no c0).

    ``10·√2/ln 10 · mean_l sqrt(Σ_d (ref_c[l, d] - est_c[l, d])²)``.
    """
    ref_c = np.asarray(ref_c, dtype=np.float64)
    est_c = np.asarray(est_c, dtype=np.float64)
    if ref_c.shape != est_c.shape or ref_c.ndim != 2 or ref_c.shape[0] == 0:
        raise ValueError(f"mcd_aligned: need two equal [L, D] arrays, got {ref_c.shape} and {est_c.shape}")
    return float(MCD_CONST * np.mean(np.sqrt(np.sum((ref_c - est_c) ** 2, axis=1))))


def mel_cepstral_distortion(ref_c: np.ndarray, est_c: np.ndarray, align: bool = True) -> float:
    """MCD in dB between c1..cD sequences ``ref_c: ndarray[N, D]`` and ``est_c: ndarray[M, D]``.

    With ``align`` the frames are paired by :func:`dtw_path`; without, N must equal M (frame i with i).
    """
    if align:
        i, j = dtw_path(ref_c, est_c)
        return mcd_aligned(np.asarray(ref_c)[i], np.asarray(est_c)[j])
    return mcd_aligned(ref_c, est_c)


def f0_scores(ref_f0: np.ndarray, est_f0: np.ndarray) -> dict[str, float]:
    """F0 RMSE (Hz and cents), Pearson correlation and V/UV error of frame-paired ``f0: ndarray[L]``.

    F0 metrics use the pairs voiced in both; the V/UV error uses all pairs.
    """
    ref_f0 = np.asarray(ref_f0, dtype=np.float64)
    est_f0 = np.asarray(est_f0, dtype=np.float64)
    if ref_f0.shape != est_f0.shape or ref_f0.ndim != 1 or ref_f0.size == 0:
        raise ValueError(f"f0_scores: need two equal [L] arrays, got {ref_f0.shape} and {est_f0.shape}")
    rv, ev = ref_f0 > 0, est_f0 > 0
    both = rv & ev
    out = {"vuv_error": float(np.mean(rv != ev)), "n_voiced": int(both.sum())}
    nan = float("nan")
    if both.sum() < 2:
        return {**out, "f0_rmse": nan, "f0_rmse_cents": nan, "f0_corr": nan}
    r, e = ref_f0[both], est_f0[both]
    out["f0_rmse"] = float(np.sqrt(np.mean((e - r) ** 2)))
    out["f0_rmse_cents"] = float(np.sqrt(np.mean((1200.0 * np.log2(e / r)) ** 2)))
    out["f0_corr"] = float(np.corrcoef(r, e)[0, 1]) if r.std() > 0 and e.std() > 0 else nan
    return out


# ---------------------------------------------------------------------------------------------- pairs


@dataclass
class Analysis:
    """What scoring needs of one signal: ``mc[N, D]`` (c1..cD), ``f0[N]`` and ``speech[N]`` (bool: the frame
    is within ``speech_db`` of the loudest one)."""

    mc: np.ndarray
    f0: np.ndarray
    speech: np.ndarray


def speech_frames(sp: np.ndarray, within_db: float = SPEECH_DB) -> np.ndarray:
    """``bool[N]``: frames of a power envelope ``sp: ndarray[N, F]`` whose energy ``10·log10 Σ_f sp`` is
    within ``within_db`` dB of the loudest frame. At least the loudest frame is always kept."""
    energy = 10.0 * np.log10(np.maximum(np.asarray(sp, dtype=np.float64).sum(axis=1), 1e-30))
    return energy >= energy.max() - within_db


def analyze_for_scoring(
    x: np.ndarray, sample_rate: int, settings: ScoreSettings = ScoreSettings()
) -> Analysis:
    """WORLD + mel-cepstral analysis of ``x: ndarray[T]`` at ``sample_rate`` (see the module docstring)."""
    cfg = _world_at(settings, sample_rate)
    feats = analyze(x, cfg)
    mc = mel_cepstrum(feats.sp, sample_rate, settings.order, settings.alpha)
    return Analysis(mc=mc[:, 1:], f0=feats.f0, speech=speech_frames(feats.sp, settings.speech_db))


def score_analyses(ref: Analysis, est: Analysis) -> ConversionScores:
    """Scores of two analyses (DTW on c1..cD, F0 metrics on the same path; ``mcd_speech`` on its own DTW
    path over the speech frames of both sides)."""
    i, j = dtw_path(ref.mc, est.mc)
    f0 = f0_scores(ref.f0[i], est.f0[j])
    ref_speech, est_speech = ref.mc[ref.speech], est.mc[est.speech]
    si, sj = dtw_path(ref_speech, est_speech)
    return ConversionScores(
        mcd=mcd_aligned(ref.mc[i], est.mc[j]),
        mcd_speech=mcd_aligned(ref_speech[si], est_speech[sj]),
        f0_rmse=f0["f0_rmse"],
        f0_rmse_cents=f0["f0_rmse_cents"],
        f0_corr=f0["f0_corr"],
        vuv_error=f0["vuv_error"],
        n_frames=int(len(i)),
        n_voiced=int(f0["n_voiced"]),
        n_speech_frames=int(len(si)),
    )


def score_signals(
    ref: np.ndarray, est: np.ndarray, sample_rate: int, settings: ScoreSettings = ScoreSettings()
) -> ConversionScores:
    """Scores of ``est: ndarray[T2]`` against ``ref: ndarray[T1]``, both mono at ``sample_rate``."""
    return score_analyses(
        analyze_for_scoring(ref, sample_rate, settings), analyze_for_scoring(est, sample_rate, settings)
    )


def score_pair(
    converted: np.ndarray, reference: np.ndarray, sample_rate: int, settings: ScoreSettings = ScoreSettings()
) -> dict[str, Any]:
    """Dict form of :func:`score_signals` for training-time evaluation (note: converted signal first).

    ``converted: ndarray[T2]``, ``reference: ndarray[T1]`` mono at ``sample_rate`` ->
    ``{"mcd", "f0_rmse" (Hz), "f0_rmse_cents", "f0_corr", "vuv_error", "n_frames", "n_voiced"}``.
    """
    return score_signals(reference, converted, sample_rate, settings).to_dict()


def _world_at(settings: ScoreSettings, sample_rate: int) -> WorldConfig:
    d = settings.world.to_dict()
    d["sample_rate"] = int(sample_rate)
    d["fft_size"] = None  # pyworld's default for each rate
    return WorldConfig.from_dict(d)


def _rate_of(path: str | os.PathLike) -> int:
    from audiogan import audio

    return audio.info(path).sample_rate


def analyze_file(
    path: str | os.PathLike, settings: ScoreSettings = ScoreSettings(), sample_rate: int | None = None
) -> Analysis:
    """:func:`analyze_for_scoring` of a mono file, resampled to ``sample_rate`` (default: its own rate)."""
    sr = sample_rate or _rate_of(path)
    cfg = _world_at(settings, sr)
    return analyze_for_scoring(load_wave(path, cfg), sr, settings)


def score_files(
    ref: str | os.PathLike,
    est: str | os.PathLike,
    settings: ScoreSettings = ScoreSettings(),
    src: str | os.PathLike | None = None,
) -> dict[str, ConversionScores]:
    """Score ``est`` (and, with ``src``, the unconverted source as a baseline) against ``ref``.

    All files are analysed at the reference's rate. Returns ``{"est": scores}`` plus ``"src"`` if given.
    """
    sr = _rate_of(ref)
    r = analyze_file(ref, settings, sr)
    out = {"est": score_analyses(r, analyze_file(est, settings, sr))}
    if src is not None:
        out["src"] = score_analyses(r, analyze_file(src, settings, sr))
    return out


def score_pair_job(job: tuple[str, str, str, str | None, dict[str, Any]]) -> tuple[str, dict[str, dict]]:
    """Worker entry for process pools: ``(name, ref, est, src|None, settings) -> (name, {kind: scores})``."""
    name, ref, est, src, s = job
    settings = ScoreSettings(order=s["order"], alpha=s["alpha"], speech_db=s.get("speech_db", SPEECH_DB),
                             world=WorldConfig.from_dict(s["world"]))
    res = score_files(ref, est, settings, src)
    return name, {k: v.to_dict() for k, v in res.items()}


def settings_to_job(settings: ScoreSettings) -> dict[str, Any]:
    return {"order": settings.order, "alpha": settings.alpha, "speech_db": settings.speech_db,
            "world": settings.world.to_dict()}


def mean_scores(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-file means (each file weighs the same; NaN entries are left out) plus ``n_files``."""
    out: dict[str, Any] = {}
    for m in METRICS:
        vals = np.array([float(r[m]) for r in rows], dtype=np.float64)
        vals = vals[np.isfinite(vals)]
        out[m] = float(vals.mean()) if vals.size else float("nan")
    out["n_files"] = len(rows)
    return out
