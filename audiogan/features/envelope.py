"""Compact spectral-envelope features: WORLD's coded envelope or SPTK mel-cepstra, and back.

Two kinds (``WorldConfig.envelope``), both ``ndarray[N, D]`` with ``D = coded_dim`` per 5 ms frame:

* ``"coded"``: ``pyworld.code_spectral_envelope`` (a mel-warped, compressed log envelope; not a
  synthesis-filter cepstrum), decoded by ``pyworld.decode_spectral_envelope``;
* ``"mcep"``: SPTK mel-cepstrum ``pysptk.sp2mc(sp, order=D - 1, alpha)`` (c0..c_{D-1}) of the CheapTrick
  power envelope, decoded by ``pysptk.mc2sp``. ``alpha`` = ``WorldConfig.mcep_alpha``, or when that is None
  ``pysptk.util.mcepalpha(rate)`` (0.41 at 16 kHz): the all-pass constant ``audiogan score conversion`` uses,
  so a model trained on these features is trained in the space its MCD is measured in (c1..c24 of the same
  analysis).

``sp: ndarray[N, F]`` is a power envelope, ``F = fft_size // 2 + 1``. The functions taking ``cfg`` read
``cfg.envelope`` (default ``"coded"`` when absent), ``cfg.coded_dim``, ``cfg.sample_rate``,
``cfg.resolved_fft_size`` and ``cfg.mcep_alpha``: a :class:`audiogan.features.world.WorldConfig`, not
imported here so that world.py can import this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audiogan.errors import ConfigError

ENVELOPES = ("coded", "mcep")


def mcep_alpha(sample_rate: int) -> float:
    """SPTK's all-pass constant approximating the mel scale at ``sample_rate`` (0.41 at 16 kHz)."""
    import pysptk

    return float(pysptk.util.mcepalpha(int(sample_rate)))


def code_envelope(sp: np.ndarray, sample_rate: int, dim: int = 36) -> np.ndarray:
    """Compress ``sp: ndarray[N, F]`` to ``coded_sp: ndarray[N, dim]`` (pyworld.code_spectral_envelope)."""
    import pyworld

    sp = np.ascontiguousarray(sp, dtype=np.float64)
    return pyworld.code_spectral_envelope(sp, int(sample_rate), int(dim))


def decode_envelope(coded_sp: np.ndarray, sample_rate: int, fft_size: int) -> np.ndarray:
    """Inverse of :func:`code_envelope`: ``coded_sp: ndarray[N, D] -> sp: ndarray[N, fft_size//2+1]``."""
    import pyworld

    coded = np.ascontiguousarray(coded_sp, dtype=np.float64)
    return pyworld.decode_spectral_envelope(coded, int(sample_rate), int(fft_size))


def sp_to_mcep(sp: np.ndarray, sample_rate: int, dim: int, alpha: float | None = None) -> np.ndarray:
    """Mel-cepstrum ``ndarray[N, dim]`` (c0..c_{dim-1}) of a power envelope ``sp: ndarray[N, F]``."""
    import pysptk

    a = mcep_alpha(sample_rate) if alpha is None else float(alpha)
    return pysptk.sp2mc(np.ascontiguousarray(sp, dtype=np.float64), int(dim) - 1, a)


def mcep_to_sp(mc: np.ndarray, sample_rate: int, fft_size: int, alpha: float | None = None) -> np.ndarray:
    """Power envelope ``ndarray[N, fft_size//2+1]`` of a mel-cepstrum ``mc: ndarray[N, D]`` (pysptk.mc2sp)."""
    import pysptk

    a = mcep_alpha(sample_rate) if alpha is None else float(alpha)
    return pysptk.mc2sp(np.ascontiguousarray(mc, dtype=np.float64), a, int(fft_size))


def check_envelope(kind: Any, alpha: Any = None) -> None:
    """ConfigError unless ``kind`` is one of :data:`ENVELOPES` and ``alpha`` is None or in (-1, 1)."""
    if kind not in ENVELOPES:
        raise ConfigError(f"world envelope must be one of {', '.join(ENVELOPES)}, got {kind!r}")
    number = isinstance(alpha, int | float) and not isinstance(alpha, bool)
    if alpha is not None and not (number and -1 < alpha < 1):
        raise ConfigError(f"world mcep_alpha must be a number in (-1, 1) or null, got {alpha!r}")


def envelope_kind(cfg: Any) -> str:
    """The envelope kind of a WorldConfig (``"coded"`` for configs that predate the option)."""
    return str(getattr(cfg, "envelope", "coded"))


def encode(sp: np.ndarray, cfg: Any) -> np.ndarray:
    """``sp: ndarray[N, F]`` -> the training features ``ndarray[N, cfg.coded_dim]`` of ``cfg``'s kind."""
    if envelope_kind(cfg) == "mcep":
        return sp_to_mcep(sp, cfg.sample_rate, cfg.coded_dim, getattr(cfg, "mcep_alpha", None))
    return code_envelope(sp, cfg.sample_rate, cfg.coded_dim)


def decode(coded: np.ndarray, cfg: Any) -> np.ndarray:
    """Inverse of :func:`encode`: ``ndarray[N, D]`` -> power envelope ``ndarray[N, fft_size//2+1]``."""
    if envelope_kind(cfg) == "mcep":
        return mcep_to_sp(coded, cfg.sample_rate, cfg.resolved_fft_size, getattr(cfg, "mcep_alpha", None))
    return decode_envelope(coded, cfg.sample_rate, cfg.resolved_fft_size)
