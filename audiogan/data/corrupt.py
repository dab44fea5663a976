"""Signal corruptions of the on-the-fly mixer (:mod:`audiogan.data.onthefly`): channels and room acoustics.

Every function draws its parameters from a ``numpy.random.Generator`` it is given, so an item of the mixer
stays a pure function of its key. Signals are ``ndarray[T]`` float32/float64 at ``sample_rate``.

* :func:`draw_telephone`: a telephone channel, either a Butterworth band-pass (high-pass 200-400 Hz,
  low-pass 3.2-3.6 kHz; scipy) or resampling through 8 kHz (:func:`through_8k`, soxr);
* :func:`draw_eq`: a random equaliser, a few peaking biquads (RBJ Audio-EQ-Cookbook; the coefficients are
  hand-written because scipy has no peaking-EQ designer and torchaudio's ``equalizer_biquad`` filters in
  torch, ~10x slower here), run by ``scipy.signal.sosfilt``;
* :func:`simulate_rir_bank` / :func:`load_rir_bank`: room impulse responses of random shoebox rooms
  (pyroomacoustics' image source method, RT60 set by Sabine's formula), simulated once, seeded, and cached
  as ``.npy``: simulating per item would cost ~0.3 s each;
* :func:`reverberate`: speech through a RIR of the bank, aligned on the direct path, and the target the
  user wants back from it: the direct path plus the early reflections (``early_ms``, 50 ms by default, as
  the DNS challenge does), or the dry speech (``early_ms = 0``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

Filter = Callable[[np.ndarray], np.ndarray]


def active_power(x: np.ndarray, sample_rate: int, top_db: float = 30.0) -> float:
    """Mean power of the active speech of ``x[T]``: the samples in frames (32 ms, 8 ms hop) whose RMS is
    within ``top_db`` of the loudest frame (0.0 for silence).

    The definition of :func:`audiogan.data.mix.active_mask`, computed from a cumulative sum instead of
    librosa's framing: ~0.1 ms instead of ~15 ms on a 2 s crop, which matters at hundreds of items/s.
    """
    x = np.asarray(x, dtype=np.float64)
    frame = max(16, int(round(0.032 * sample_rate)))
    hop = max(4, frame // 4)
    if len(x) < frame:
        return float(np.mean(x**2)) if len(x) else 0.0
    cs = np.concatenate([[0.0], np.cumsum(x**2)])
    starts = np.arange(0, len(x) - frame + 1, hop)
    e = (cs[starts + frame] - cs[starts]) / frame
    if e.max() <= 0:
        return 0.0
    on = e >= e.max() * 10 ** (-top_db / 10)
    delta = np.zeros(len(x) + 1)  # sample mask = union of the active frames' spans
    np.add.at(delta, starts[on], 1)
    np.add.at(delta, starts[on] + frame, -1)
    mask = np.cumsum(delta[:-1]) > 0
    return float(np.mean(x[mask] ** 2))


def draw_telephone(rng: np.random.Generator, sample_rate: int, highpass: Sequence[float],
                   lowpass: Sequence[float], p_resample: float) -> Filter:
    """A random telephone channel: ``f(x[T]) -> y[T]`` (the same filter for speech, noise and target)."""
    from scipy.signal import butter, sosfilt

    if rng.random() < p_resample and sample_rate > 8000:
        return lambda x: through_8k(x, sample_rate)
    hp = float(rng.uniform(*highpass))
    lp = min(float(rng.uniform(*lowpass)), 0.45 * sample_rate)
    sos = np.concatenate([butter(4, hp, "highpass", fs=sample_rate, output="sos"),
                          butter(8, lp, "lowpass", fs=sample_rate, output="sos")])
    return lambda x: sosfilt(sos, x)


def through_8k(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """``x[T]`` resampled to 8 kHz and back with soxr (HQ): same length.

    :func:`audiogan.data.mix.band_limit` does the same with torchaudio for the fixed mixtures; torchaudio
    builds its sinc kernel on every call (~20 ms for a 2 s item), soxr takes ~1 ms.
    """
    import soxr

    y = soxr.resample(soxr.resample(np.asarray(x, dtype=np.float64), sample_rate, 8000), 8000, sample_rate)
    out = np.zeros(len(x))
    out[: min(len(x), len(y))] = y[: len(x)]
    return out


def peaking_sos(f0: float, gain_db: float, q: float, sample_rate: int) -> np.ndarray:
    """One peaking-EQ biquad (RBJ cookbook) as a second-order section ``ndarray[1, 6]``."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / sample_rate
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a])
    return np.concatenate([b / den[0], den / den[0]])[None, :]


def draw_eq(rng: np.random.Generator, sample_rate: int, bands: Sequence[int], gain_db: float) -> Filter:
    """A random EQ of ``bands[0]..bands[1]`` peaking filters, centres log-uniform in 80 Hz..0.4 fs, gains
    uniform in +-``gain_db``, Q in 0.5..2: ``f(x[T]) -> y[T]``."""
    from scipy.signal import sosfilt

    n = int(rng.integers(bands[0], bands[1] + 1))
    f0 = np.exp(rng.uniform(np.log(80.0), np.log(0.4 * sample_rate), n))
    gains, qs = rng.uniform(-gain_db, gain_db, n), rng.uniform(0.5, 2.0, n)
    if n == 0:
        return lambda x: x
    sos = np.concatenate([peaking_sos(f, g, q, sample_rate) for f, g, q in zip(f0, gains, qs)])
    return lambda x: sosfilt(sos, x)


def simulate_rir_bank(count: int, sample_rate: int, rt60_range: Sequence[float], seed: int,
                      max_seconds: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` RIRs of random shoebox rooms: ``(rirs: float32 ndarray[N, L], lengths: int64 ndarray[N])``.

    Rooms 3x3x2.5 .. 10x8x4 m, RT60 uniform in ``rt60_range``, source and microphone at least 0.5 m from
    the walls and 0.3 m apart. Each RIR is cut at ``max_seconds`` and scaled to a direct-path peak of 1.
    """
    import pyroomacoustics as pra

    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x5249])
    cap = int(max_seconds * sample_rate)
    out = np.zeros((count, cap), dtype=np.float32)
    lengths = np.zeros(count, dtype=np.int64)
    for i in range(count):
        while True:
            dims = rng.uniform([3.0, 3.0, 2.5], [10.0, 8.0, 4.0])
            rt60 = float(rng.uniform(*rt60_range))
            src, mic = rng.uniform(0.5, dims - 0.5), rng.uniform(0.5, dims - 0.5)
            if np.linalg.norm(src - mic) < 0.3:
                continue
            try:  # Sabine cannot reach a long RT60 in a small room: draw another room
                e_abs, max_order = pra.inverse_sabine(rt60, dims)
            except ValueError:
                continue
            break
        room = pra.ShoeBox(dims, fs=sample_rate, materials=pra.Material(e_abs), max_order=max_order)
        room.add_source(src)
        room.add_microphone(mic)
        room.compute_rir()
        h = np.asarray(room.rir[0][0], dtype=np.float64)[:cap]
        h /= max(float(np.max(np.abs(h))), 1e-9)
        lengths[i] = len(h)
        out[i, : len(h)] = h
    return out, lengths


def load_rir_bank(cache_dir: str | os.PathLike | None, count: int, sample_rate: int,
                  rt60_range: Sequence[float], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`simulate_rir_bank`, cached in ``cache_dir/rirs-<hash>.npz`` (simulated on the first call)."""
    if count <= 0:
        return np.zeros((0, 1), dtype=np.float32), np.zeros(0, dtype=np.int64)
    settings = dict(count=int(count), sample_rate=int(sample_rate), rt60_range=[float(v) for v in rt60_range],
                    seed=int(seed), version=1)
    if cache_dir is None:
        return simulate_rir_bank(count, sample_rate, rt60_range, seed)
    key = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"rirs-{key}.npz"
    if path.is_file():
        with np.load(path) as z:
            return z["rirs"], z["lengths"]
    rirs, lengths = simulate_rir_bank(count, sample_rate, rt60_range, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez(tmp, rirs=rirs, lengths=lengths)
    os.replace(tmp, path)
    return rirs, lengths


def reverberate(
    x: np.ndarray, rir: np.ndarray, sample_rate: int, early_ms: float
) -> tuple[np.ndarray, np.ndarray]:
    """``x[T]`` through ``rir[L]``: ``(reverberant[T], target[T])``, both aligned on the direct path.

    ``target`` is ``x`` through the RIR's first ``early_ms`` after the direct path (0: ``x`` itself).
    """
    from scipy.signal import fftconvolve, oaconvolve

    d = int(np.argmax(np.abs(rir)))
    h = rir[d:]  # drop the propagation delay: the output stays aligned with the dry speech
    n = len(x)
    wet = (oaconvolve if len(h) > 4096 else fftconvolve)(x, h)[:n]
    early = int(round(early_ms * 1e-3 * sample_rate))
    target = fftconvolve(x, h[: early + 1])[:n] if early > 0 else np.asarray(x, dtype=np.float64)
    return wet, target
