"""Objective speech-enhancement scores: PESQ, STOI/ESTOI, CSIG/CBAK/COVL, segmental SNR and SI-SDR.

All functions take a clean reference and an estimate as mono float arrays ``x: ndarray[T]`` at the same
sample rate. Unequal lengths are trimmed to the shorter one (the CLI warns about that).

- PESQ comes from the ``pesq`` package (ITU-T P.862.2 wideband MOS-LQO; P.862.1 narrowband MOS-LQO for
  8 kHz references). Other rates are resampled to 16 kHz first. PESQ failures (no utterance found, ...)
  give NaN and a :class:`MetricWarning`, never an exception.
- STOI and ESTOI come from ``pystoi`` (it resamples to 10 kHz internally).
- CSIG/CBAK/COVL are our own vectorised port of Hu & Loizou's ``composite.m`` (IEEE TASLP 2008): no
  maintained package provides them, and the common ports loop per frame in Python. They combine LLR,
  WSS and segmental SNR (:mod:`audiogan.metrics.distortion`) with PESQ and are computed at the PESQ rate
  (8 or 16 kHz).
- Segmental SNR follows ``composite.m`` (30 ms Hann frames, 75 % overlap, each frame clamped to
  [-10, 35] dB); SI-SDR follows Le Roux et al., "SDR - half-baked or well done?" (ICASSP 2019).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from audiogan.errors import AudioError
from audiogan.metrics.distortion import (  # noqa: F401 - re-exported: they lived here
    _EPS,
    _as_mono,
    _frame_params,
    _pair,
    llr,
    llr_frames,
    segmental_snr,
    segmental_snr_frames,
    wss,
    wss_frames,
)

METRICS: tuple[str, ...] = ("pesq", "stoi", "estoi", "csig", "cbak", "covl", "ssnr", "si_sdr")
# Column titles for tables.
METRIC_TITLES: dict[str, str] = {
    "pesq": "PESQ", "stoi": "STOI", "estoi": "ESTOI", "csig": "CSIG", "cbak": "CBAK", "covl": "COVL",
    "ssnr": "SSNR", "si_sdr": "SI-SDR",
}
_NEEDS_PESQ = frozenset({"pesq", "csig", "cbak", "covl"})
_COMPOSITE = frozenset({"csig", "cbak", "covl"})

PESQ_MIN_SECONDS = 0.25  # the pesq package rejects shorter buffers
# The pesq package crashes the process (SIGSEGV) on files of a few minutes, and P.862 is meant for
# utterances of seconds: longer files are scored in equal consecutive segments of at most this length, and
# their PESQ is the duration-weighted mean of the segments' scores.
PESQ_MAX_SECONDS = 60.0


class MetricWarning(UserWarning):
    """A metric could not be computed for a pair and was set to NaN."""


# ----------------------------------------------------------------------------------------------- helpers

def pesq_setup(sample_rate: int) -> tuple[int, str]:
    """The (rate, mode) PESQ runs at for a reference rate: (8000, 'nb') for 8 kHz, else (16000, 'wb')."""
    return (8000, "nb") if int(sample_rate) == 8000 else (16000, "wb")


def pesq_mode(sample_rate: int) -> str:
    """'nb' (narrowband, 8 kHz references) or 'wb' (wideband, everything else, resampled to 16 kHz)."""
    return pesq_setup(sample_rate)[1]


def _to_rate(x: np.ndarray, sample_rate: int, rate: int) -> np.ndarray:
    if sample_rate == rate:
        return x
    from audiogan.audio import resample

    return np.asarray(resample(x.astype(np.float32), int(sample_rate), int(rate)), dtype=np.float64)


def si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """Scale-invariant SDR in dB (zero-mean signals): ``ref, est: [T]``. Higher is better."""
    r, e = _pair(ref, est)
    r, e = r - r.mean(), e - e.mean()
    scale = np.dot(e, r) / (np.dot(r, r) + _EPS)
    target = scale * r
    noise = e - target
    return float(10.0 * np.log10((np.dot(target, target) + _EPS) / (np.dot(noise, noise) + _EPS)))


def pesq_score(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """PESQ MOS-LQO: wideband at 16 kHz, narrowband for 8 kHz references; NaN (with a warning) on failure.

    ``ref, est: [T]`` at ``sample_rate``; rates other than 8/16 kHz are resampled to 16 kHz. Signals longer
    than :data:`PESQ_MAX_SECONDS` are scored in equal consecutive segments (duration-weighted mean).
    """
    r, e = _pair(ref, est)
    rate, mode = pesq_setup(sample_rate)
    r, e = _to_rate(r, sample_rate, rate), _to_rate(e, sample_rate, rate)
    for sig, name in ((r, "reference"), (e, "estimate")):
        if not np.any(sig):  # the pesq package divides by zero (ValueError) on digital silence
            warnings.warn(f"PESQ: the {name} is silent; PESQ set to NaN", MetricWarning, stacklevel=2)
            return math.nan
    limit = int(PESQ_MAX_SECONDS * rate)
    if len(r) > limit:
        n = math.ceil(len(r) / limit)
        bounds = np.linspace(0, len(r), n + 1).astype(int)
        scores, weights = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)  # a silent segment is left out, not a warning each
            for a, b in zip(bounds[:-1], bounds[1:]):
                v = _pesq_once(r[a:b], e[a:b], rate, mode)
                if math.isfinite(v):
                    scores.append(v)
                    weights.append(b - a)
        if not scores:
            warnings.warn("PESQ failed on every segment; PESQ set to NaN", MetricWarning, stacklevel=2)
            return math.nan
        return float(np.average(scores, weights=weights))
    return _pesq_once(r, e, rate, mode)


def _pesq_once(r: np.ndarray, e: np.ndarray, rate: int, mode: str) -> float:
    from pesq import PesqError, pesq

    if not np.any(r) or not np.any(e):
        warnings.warn("PESQ: a silent signal; PESQ set to NaN", MetricWarning, stacklevel=3)
        return math.nan
    try:
        return float(pesq(rate, r, e, mode))
    except (PesqError, ValueError) as err:  # NoUtterancesError, BufferTooShortError, ...
        msg = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        warnings.warn(f"PESQ failed ({type(err).__name__}: {msg}); PESQ set to NaN", MetricWarning,
                      stacklevel=2)
        return math.nan


def stoi_score(ref: np.ndarray, est: np.ndarray, sample_rate: int, extended: bool = False) -> float:
    """STOI (or ESTOI with ``extended=True``) via pystoi; NaN (with a warning) when too little speech.

    ``ref, est: [T]`` at ``sample_rate`` (pystoi resamples to 10 kHz itself).
    """
    from pystoi import stoi

    r, e = _pair(ref, est)
    name = "ESTOI" if extended else "STOI"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = float(stoi(r, e, int(sample_rate), extended=extended))
    # pystoi returns 1e-5 and warns when fewer than 30 frames (~0.4 s) of speech remain after its
    # silence removal; a number there would be misleading.
    if any("STFT frames" in str(w.message) for w in caught) or not math.isfinite(value):
        warnings.warn(f"{name}: not enough non-silent speech (needs ~0.4 s); {name} set to NaN",
                      MetricWarning, stacklevel=2)
        return math.nan
    return value


def _nb_raw_pesq(mos_lqo: float) -> float:
    """Invert the P.862.1 mapping: narrowband MOS-LQO -> raw P.862 score.

    composite.m feeds the *raw* narrowband PESQ into its regressions (they were fitted on raw scores);
    the pesq package only returns MOS-LQO. Wideband has no raw score, composite.m uses MOS-LQO there.
    """
    y = min(max(mos_lqo, 0.999 + 1e-6), 4.999 - 1e-6)
    raw = (4.6607 - math.log(4.0 / (y - 0.999) - 1.0)) / 1.4945
    return min(max(raw, -0.5), 4.5)  # the raw P.862 range


def _composite_from(r: np.ndarray, e: np.ndarray, rate: int, pesq_value: float) -> tuple[float, float, float]:
    if not math.isfinite(pesq_value):
        return math.nan, math.nan, math.nan
    if rate == 8000:
        pesq_value = _nb_raw_pesq(pesq_value)
    # composite.m adds eps so that digital silence does not give log(0) or 0/0
    r, e = r + _EPS, e + _EPS
    wss_v = wss(r, e, rate)
    llr_v = llr(r, e, rate)
    seg = segmental_snr(r, e, rate)
    csig = 3.093 - 1.029 * llr_v + 0.603 * pesq_value - 0.009 * wss_v
    cbak = 1.634 + 0.478 * pesq_value - 0.007 * wss_v + 0.063 * seg
    covl = 1.594 + 0.805 * pesq_value - 0.512 * llr_v - 0.007 * wss_v
    return tuple(float(np.clip(v, 1.0, 5.0)) if math.isfinite(v) else math.nan for v in (csig, cbak, covl))


def composite(
    ref: np.ndarray, est: np.ndarray, sample_rate: int, pesq_value: float | None = None
) -> tuple[float, float, float]:
    """Hu & Loizou composite measures ``(csig, cbak, covl)``, each clipped to [1, 5]; NaN if PESQ fails.

    ``ref, est: [T]``. Computed at the PESQ rate (8 kHz stays 8 kHz, other rates go to 16 kHz); pass
    ``pesq_value`` when PESQ is already known to avoid computing it twice.
    """
    r, e = _pair(ref, est)
    rate, _ = pesq_setup(sample_rate)
    r, e = _to_rate(r, sample_rate, rate), _to_rate(e, sample_rate, rate)
    if pesq_value is None:
        pesq_value = pesq_score(r, e, rate)
    return _composite_from(r, e, rate, pesq_value)


def min_samples(sample_rate: int, metrics: Iterable[str] = METRICS) -> int:
    """Shortest signal (samples) the metrics accept: 0.25 s when PESQ is involved, else two frames."""
    if _NEEDS_PESQ & set(metrics):
        return int(math.ceil(PESQ_MIN_SECONDS * sample_rate))
    win, hop = _frame_params(sample_rate)
    return win + hop


def score_pair(
    ref: np.ndarray, est: np.ndarray, sample_rate: int, metrics: Sequence[str] = METRICS
) -> dict[str, float]:
    """Score one estimate against its clean reference: ``ref, est: ndarray[T]`` (or ``[1, T]``).

    Returns ``{metric: value}`` in the order of ``metrics`` (names from :data:`METRICS`). Signals of
    unequal length are trimmed to the shorter. A metric that cannot be computed (e.g. PESQ finds no
    utterance) is NaN and a :class:`MetricWarning` is issued. Raises :class:`AudioError` for signals
    with NaN/Inf or shorter than :func:`min_samples`.
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(METRICS)}")
    r, e = _pair(ref, est)
    need = min_samples(sample_rate, metrics)
    if r.size < need:
        raise AudioError(
            f"too short to score: {1000 * r.size / sample_rate:.0f} ms, needs at least "
            f"{1000 * need / sample_rate:.0f} ms")
    wanted = set(metrics)
    out: dict[str, float] = {}
    if not np.any(r):
        warnings.warn("the reference is silent; all scores set to NaN", MetricWarning, stacklevel=2)
        return {m: math.nan for m in metrics}
    if wanted & _NEEDS_PESQ:
        rate, _ = pesq_setup(sample_rate)
        r_p, e_p = _to_rate(r, sample_rate, rate), _to_rate(e, sample_rate, rate)
        p = pesq_score(r_p, e_p, rate)
        out["pesq"] = p
        if wanted & _COMPOSITE:
            out["csig"], out["cbak"], out["covl"] = _composite_from(r_p, e_p, rate, p)
    if wanted & {"stoi", "estoi"}:
        r_s, e_s, rate_s = r, e, sample_rate
        if "stoi" in wanted and "estoi" in wanted and sample_rate != 10000:
            from pystoi.utils import resample_oct

            # resample once for both, exactly as pystoi would do it inside each call
            r_s, e_s, rate_s = resample_oct(r, 10000, sample_rate), resample_oct(e, 10000, sample_rate), 10000
        if "stoi" in wanted:
            out["stoi"] = stoi_score(r_s, e_s, rate_s)
        if "estoi" in wanted:
            out["estoi"] = stoi_score(r_s, e_s, rate_s, extended=True)
    if "ssnr" in wanted:
        out["ssnr"] = segmental_snr(r, e, sample_rate)
    if "si_sdr" in wanted:
        out["si_sdr"] = si_sdr(r, e)
    return {m: out[m] for m in metrics}


def mean_scores(rows: Iterable[Mapping[str, float]], metrics: Sequence[str] = METRICS) -> dict[str, float]:
    """Per-metric mean over files, leaving out NaN values (NaN when a metric has no value at all)."""
    rows = list(rows)
    means: dict[str, float] = {}
    for m in metrics:
        vals = np.array([row[m] for row in rows if m in row], dtype=np.float64)
        vals = vals[np.isfinite(vals)]
        means[m] = float(vals.mean()) if vals.size else math.nan
    return means
