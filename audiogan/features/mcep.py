"""Mel-cepstral WORLD analysis of many files (the GMM conversion baseline's features) and speech frames.

Per utterance: WORLD analysis (:func:`audiogan.features.world.analyze`), the SPTK mel-cepstrum
``mc: ndarray[N, order+1]`` (c0..c_order, :func:`audiogan.features.envelope.sp_to_mcep`, the scorer's
alpha by default), ``f0: ndarray[N]`` and the frame energy ``energy_db: ndarray[N]`` (``10·log10 Σ_f sp``,
the measure ``audiogan score conversion`` uses for its speech frames).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from audiogan.features import envelope, world
from audiogan.jobs import run_jobs

SPEECH_DB = 40.0  # as the scorer: frames within this many dB of the utterance's loudest frame are speech


def frame_energy_db(sp: np.ndarray) -> np.ndarray:
    """``10·log10 Σ_f sp[n, f]`` per frame of a power envelope ``sp: ndarray[N, F]``: ``ndarray[N]``."""
    return 10.0 * np.log10(np.maximum(np.asarray(sp, np.float64).sum(axis=1), 1e-30))


def speech_mask(energy_db: np.ndarray, within_db: float = SPEECH_DB) -> np.ndarray:
    """``bool[N]``: frames within ``within_db`` dB of the loudest frame (at least that frame)."""
    e = np.asarray(energy_db, np.float64)
    return e >= e.max() - within_db


def analyze_mcep(source: str | os.PathLike | np.ndarray, cfg: world.WorldConfig, order: int = 24,
                 alpha: float | None = None) -> dict[str, np.ndarray]:
    """``{"f0": [N], "mc": [N, order+1], "energy_db": [N]}`` (float64) of a file or a waveform
    ``ndarray[T]`` at ``cfg.sample_rate``."""
    is_file = isinstance(source, str | os.PathLike)
    x = world.load_wave(source, cfg) if is_file else np.asarray(source, np.float64)
    feats = world.analyze(x, cfg)
    return {"f0": feats.f0, "mc": envelope.sp_to_mcep(feats.sp, cfg.sample_rate, order + 1, alpha),
            "energy_db": frame_energy_db(feats.sp)}


def _job(args: tuple[str, str, dict[str, Any], int, float | None]) -> tuple[str, dict[str, np.ndarray]]:
    utt, path, cfg, order, alpha = args
    return utt, analyze_mcep(path, world.WorldConfig.from_dict(cfg), order, alpha)


def analyze_many(items: Mapping[str, str | os.PathLike], cfg: world.WorldConfig, order: int = 24,
                 alpha: float | None = None, jobs: int = 1, progress: bool = False
                 ) -> dict[str, dict[str, np.ndarray]]:
    """:func:`analyze_mcep` of ``{utt: path}`` in ``jobs`` processes: ``{utt: feats}`` in input order."""
    work = [(utt, str(p), cfg.to_dict(), int(order), alpha) for utt, p in items.items()]
    return dict(run_jobs(_job, work, jobs=jobs, progress=progress, desc="mel-cepstra"))
