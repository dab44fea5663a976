"""The frame-level distortion measures of Hu & Loizou's ``composite.m`` (IEEE TASLP 2008): segmental SNR,
log-likelihood ratio (LLR) and weighted spectral slope (WSS), vectorised over frames. No maintained
package provides them and the common ports loop per frame in Python, so they are written here;
:mod:`audiogan.metrics.enhancement` combines them with PESQ into CSIG/CBAK/COVL and re-exports them.

All take a clean reference and an estimate as mono float arrays ``x: ndarray[T]`` at one sample rate;
unequal lengths are trimmed to the shorter one.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from audiogan.errors import AudioError

_EPS = float(np.spacing(1))  # MATLAB's eps, as composite.m uses it
_ALPHA = 0.95  # composite.m: LLR and WSS average the lowest 95 % of the frame values
_SEGSNR_MIN, _SEGSNR_MAX = -10.0, 35.0

# Klatt's 25 critical bands as tabulated in composite.m (centre frequency, bandwidth in Hz).
_CENT_FREQ = np.array([
    50.0, 120.0, 190.0, 260.0, 330.0, 400.0, 470.0, 540.0, 617.372, 703.378, 798.717, 904.128, 1020.38,
    1148.30, 1288.72, 1442.54, 1610.70, 1794.16, 1993.93, 2211.08, 2446.71, 2701.97, 2978.04, 3276.17,
    3597.63,
])
_BANDWIDTH = np.array([
    70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 77.3724, 86.0056, 95.3398, 105.411, 116.256, 127.914,
    140.423, 153.823, 168.154, 183.457, 199.776, 217.153, 235.631, 255.255, 276.072, 298.126, 321.465,
    346.136,
])


def _frame_params(sample_rate: int) -> tuple[int, int]:
    win = int(round(30 * sample_rate / 1000))  # 30 ms
    return win, win // 4  # 75 % overlap


def _frames(x: np.ndarray, win: int, hop: int) -> np.ndarray:
    """Hann-windowed frames ``[F, win]``. Like composite.m, the last full frame is not used."""
    n = (x.size - win) // hop
    if n <= 0:
        raise AudioError(f"signal too short for 30 ms analysis frames ({x.size} samples)")
    # composite.m's window: 0.5 * (1 - cos(2*pi*(1:W)/(W+1))), i.e. a Hann window without its zero ends
    w = 0.5 * (1.0 - np.cos(2.0 * np.pi * np.arange(1, win + 1) / (win + 1)))
    return sliding_window_view(x, win)[::hop][:n] * w


def _trimmed_mean(values: np.ndarray, alpha: float = _ALPHA) -> float:
    """Mean of the lowest ``alpha`` share of the finite values (composite.m drops the worst 5 % frames)."""
    v = np.sort(values[np.isfinite(values)])
    if v.size == 0:
        return math.nan
    n = max(1, int(math.floor(v.size * alpha + 0.5)))  # MATLAB round(): half away from zero
    return float(v[:n].mean())


# ------------------------------------------------------------------------------------------ frame measures

def segmental_snr_frames(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per-frame SNR in dB, clamped to [-10, 35]: ``ref, est: [T] -> [F]``."""
    ref, est = _pair(ref, est)
    win, hop = _frame_params(sample_rate)
    c, p = _frames(ref, win, hop), _frames(est, win, hop)
    signal = np.sum(c * c, axis=1)
    noise = np.sum((c - p) ** 2, axis=1)
    snr = 10.0 * np.log10(signal / (noise + _EPS) + _EPS)
    return np.clip(snr, _SEGSNR_MIN, _SEGSNR_MAX)


def segmental_snr(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """Segmental SNR in dB (composite.m): mean of the clamped frame SNRs; identical signals give 35."""
    return float(np.mean(segmental_snr_frames(ref, est, sample_rate)))


def _lpc(frames: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Autocorrelation ``R: [F, order+1]`` and LPC polynomials ``A: [F, order+1]`` (Levinson-Durbin).

    Vectorised over frames; the recursion itself runs over the (small) model order.
    """
    n_frames, win = frames.shape
    R = np.stack([np.sum(frames[:, : win - k] * frames[:, k:], axis=1) for k in range(order + 1)], axis=1)
    a = np.zeros((n_frames, order))
    E = R[:, 0].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(order):
            acc = np.sum(a[:, :i] * R[:, i:0:-1], axis=1)
            k = (R[:, i + 1] - acc) / E
            if i:
                past = a[:, :i].copy()
                a[:, :i] = past - k[:, None] * past[:, ::-1]
            a[:, i] = k
            E = (1.0 - k * k) * E
    return R, np.concatenate([np.ones((n_frames, 1)), -a], axis=1)


def llr_frames(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per-frame log-likelihood ratio of the estimate's LPC model under the reference: ``[T] -> [F]``.

    LPC order 10 below 10 kHz, 16 above (composite.m). Frames where it is undefined are NaN.
    """
    ref, est = _pair(ref, est)
    win, hop = _frame_params(sample_rate)
    order = 10 if sample_rate < 10000 else 16
    R_c, A_c = _lpc(_frames(ref, win, hop), order)
    _, A_p = _lpc(_frames(est, win, hop), order)
    lags = np.abs(np.arange(order + 1)[:, None] - np.arange(order + 1)[None, :])
    T = R_c[:, lags]  # Toeplitz autocorrelation matrices [F, P+1, P+1]
    num = np.einsum("fi,fij,fj->f", A_p, T, A_p)
    den = np.einsum("fi,fij,fj->f", A_c, T, A_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(num / den)


def llr(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """Log-likelihood ratio (mean of the lowest 95 % frames); 0 for identical signals, larger is worse."""
    return _trimmed_mean(llr_frames(ref, est, sample_rate))


def _crit_filters(sample_rate: int, n_half: int) -> np.ndarray:
    """Gaussian-shaped critical-band weights ``[25, n_half]`` over FFT bins, cut at -30 dB (composite.m)."""
    max_freq = sample_rate / 2.0
    j = np.arange(n_half)
    f0 = np.floor(_CENT_FREQ / max_freq * n_half)[:, None]
    bw = (_BANDWIDTH / max_freq * n_half)[:, None]
    norm = (np.log(_BANDWIDTH[0]) - np.log(_BANDWIDTH))[:, None]
    filt = np.exp(-11.0 * ((j[None, :] - f0) / bw) ** 2 + norm)
    min_factor = math.exp(-30.0 / (2.0 * 2.303))
    return filt * (filt > min_factor)


def _local_peaks(energy: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """For each band, the energy of the nearest spectral peak (composite.m's search): ``[F, 24]``.

    Rising slope: search right until the slope stops rising; otherwise search left until it rises.
    The index recurrences below reproduce composite.m's loops (including its indexing) for all
    frames at once.
    """
    n = slope.shape[1]  # num_crit - 1
    rising = slope > 0
    right = np.empty((slope.shape[0], n + 1), dtype=np.int64)
    right[:, n] = n
    for i in range(n - 1, -1, -1):
        right[:, i] = np.where(rising[:, i], right[:, i + 1], i)
    left = np.empty_like(slope, dtype=np.int64)
    prev = np.full(slope.shape[0], -1, dtype=np.int64)
    for i in range(n):
        prev = np.where(rising[:, i], i, prev)
        left[:, i] = prev
    idx = np.where(rising, right[:, :n] - 1, left + 1)
    return np.take_along_axis(energy, idx, axis=1)


def wss_frames(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per-frame weighted spectral slope distance (Klatt 1982, K=20, Klocmax=1): ``[T] -> [F]``."""
    ref, est = _pair(ref, est)
    win, hop = _frame_params(sample_rate)
    n_fft = 1 << int(math.ceil(math.log2(2 * win)))
    n_half = n_fft // 2
    filt = _crit_filters(sample_rate, n_half)
    kmax, klocmax = 20.0, 1.0

    def band_db(x: np.ndarray) -> np.ndarray:
        spec = np.abs(np.fft.rfft(_frames(x, win, hop), n_fft, axis=1)[:, :n_half]) ** 2
        return 10.0 * np.log10(np.maximum(spec @ filt.T, 1e-10))

    e_c, e_p = band_db(ref), band_db(est)
    s_c, s_p = np.diff(e_c, axis=1), np.diff(e_p, axis=1)
    w_c = (kmax / (kmax + e_c.max(axis=1, keepdims=True) - e_c[:, :-1])) * (
        klocmax / (klocmax + _local_peaks(e_c, s_c) - e_c[:, :-1]))
    w_p = (kmax / (kmax + e_p.max(axis=1, keepdims=True) - e_p[:, :-1])) * (
        klocmax / (klocmax + _local_peaks(e_p, s_p) - e_p[:, :-1]))
    w = 0.5 * (w_c + w_p)
    # composite.m normalises by the sum of the weights (not in Klatt's paper)
    return np.sum(w * (s_c - s_p) ** 2, axis=1) / np.sum(w, axis=1)


def wss(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """Weighted spectral slope distance (mean of the lowest 95 % frames); 0 for identical signals."""
    return _trimmed_mean(wss_frames(ref, est, sample_rate))


# ----------------------------------------------------------------------------------------------- helpers

def _as_mono(x: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 2 and a.shape[0] == 1:
        a = a[0]
    if a.ndim != 1:
        raise ValueError(f"{name}: expected a mono signal of shape [T] or [1, T], got {a.shape}")
    if not np.isfinite(a).all():
        raise AudioError(f"{name} contains NaN or Inf samples")
    return a


def _pair(ref: np.ndarray, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, e = _as_mono(ref, "reference"), _as_mono(est, "estimate")
    n = min(r.size, e.size)
    return r[:n], e[:n]
