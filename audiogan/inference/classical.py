"""Classical enhancement baselines behind the same file pipeline as the model enhancers.

``logmmse``: the log-spectral-amplitude MMSE estimator (Ephraim & Malah 1985) of the maintained PyPI package
``logmmse`` (not hand-written here). It estimates the noise from the first 120 ms (6 frames of 20 ms) and
then tracks it in frames its voice-activity decision calls noise.

``noisereduce``: spectral gating of the maintained PyPI package ``noisereduce`` (Sainburg et al.) with its
defaults: non-stationary gating, the noise floor tracked by a smoothed spectrogram over ``time_constant_s``
= 2 s, a mask of ``prop_decrease`` = 1.

Each channel is enhanced on its own at the file's own rate; both packages process a whole signal, so these
baselines hold one file in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from audiogan.errors import AudioGanError

METHODS = ("logmmse", "noisereduce")


def _import_logmmse():
    """The package's estimator. Importing ``logmmse`` calls ``np.seterr('raise')`` for the whole process
    (logmmse/base.py), which would turn harmless underflows elsewhere into exceptions: undo that."""
    saved = np.geterr()
    try:
        from logmmse.logmmse import logmmse
    finally:
        np.seterr(**saved)
    return logmmse


class LogMMSE:
    """Duck-types :class:`~audiogan.inference.denoise.Enhancer` (``stream``, ``enhance``) for denoise_file."""

    name = "logmmse"

    def __init__(self) -> None:
        try:
            _import_logmmse()
        except ImportError:
            raise AudioGanError(
                "the log-MMSE baseline needs the 'logmmse' package (pip install '.[eval]')"
            ) from None

    def enhance(self, x: np.ndarray, sample_rate: int) -> np.ndarray:
        """``x: ndarray[C, T]`` or ``[T]`` -> the same shape, enhanced channel by channel."""
        logmmse = _import_logmmse()
        x = np.asarray(x, dtype=np.float64)
        squeeze = x.ndim == 1
        x2 = x[None] if squeeze else x
        out = np.zeros_like(x2, dtype=np.float32)
        for c, ch in enumerate(x2):
            if len(ch) < int(0.02 * sample_rate) * 8:  # shorter than the noise estimate and two frames
                out[c] = ch
                continue
            with np.errstate(all="ignore"):  # exp/expn of its gain function under- and overflow harmlessly
                y, _ = logmmse(ch, sample_rate)
            if not np.isfinite(y).all():
                raise AudioGanError("log-MMSE produced NaN/Inf samples (is the input digital silence?)")
            out[c, : len(y)] = y[: len(ch)]
        return out[0] if squeeze else out

    def stream(self, blocks: Iterable[np.ndarray], sample_rate: int, channels: int) -> Iterator[np.ndarray]:
        parts = [np.asarray(b, dtype=np.float32) for b in blocks]
        x = np.concatenate(parts, axis=1) if parts else np.zeros((channels, 0), np.float32)
        if x.shape[1]:
            yield self.enhance(x, sample_rate)


class NoiseReduce(LogMMSE):
    """Spectral gating (``noisereduce.reduce_noise`` with its defaults), channel by channel."""

    name = "noisereduce"

    def __init__(self) -> None:
        try:
            import noisereduce  # noqa: F401
        except ImportError:
            raise AudioGanError(
                "the noisereduce baseline needs the 'noisereduce' package (pip install '.[eval]')"
            ) from None

    def enhance(self, x: np.ndarray, sample_rate: int) -> np.ndarray:
        """``x: ndarray[C, T]`` or ``[T]`` -> the same shape, enhanced channel by channel."""
        import noisereduce

        x = np.asarray(x, dtype=np.float32)
        squeeze = x.ndim == 1
        x2 = x[None] if squeeze else x
        out = np.zeros_like(x2)
        for c, ch in enumerate(x2):
            if len(ch) < 2048:  # shorter than its 1024-point STFT can gate: left as it is
                out[c] = ch
                continue
            y = noisereduce.reduce_noise(y=ch, sr=int(sample_rate))
            if not np.isfinite(y).all():
                raise AudioGanError("noisereduce produced NaN/Inf samples")
            out[c] = np.asarray(y, dtype=np.float32)[: len(ch)]
        return out[0] if squeeze else out


def load_classical(method: str) -> LogMMSE:
    if method not in METHODS:
        raise AudioGanError(f"unknown classical method '{method}' (choose from: {', '.join(METHODS)})")
    return NoiseReduce() if method == "noisereduce" else LogMMSE()
