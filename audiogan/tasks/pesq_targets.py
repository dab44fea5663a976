"""Regression targets of a metric discriminator: normalised wideband PESQ of training items.

``normalised_pesq`` maps PESQ-wb (MOS-LQO, 1.04 ... 4.64, from the ``pesq`` package via
:func:`audiogan.metrics.enhancement.pesq_score`) to ``(PESQ - 1) / 3.5`` clipped to [0, 1], as CMGAN does,
so a signal scored against itself gives 1.0. Items PESQ cannot score (no utterance detected, silence,
too short) give NaN, and the discriminator loss leaves them out. :class:`PesqTargets` caches the noisy
inputs' scores by dataset key, since a noisy item's score never changes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence

import numpy as np
import torch
from torch import Tensor

PESQ_FLOOR = 1.0
PESQ_SPAN = 3.5


def normalised_pesq(clean: np.ndarray, est: np.ndarray, sample_rate: int = 16000) -> float:
    """``(PESQ-wb(clean, est) - 1) / 3.5`` clipped to [0, 1]; NaN when PESQ cannot score the pair.

    ``clean, est: ndarray[T]`` at ``sample_rate`` (16 kHz: wideband PESQ).
    """
    from audiogan.metrics.enhancement import pesq_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a failed item is NaN here, reported by the caller's counts
        try:
            p = pesq_score(np.asarray(clean, np.float32), np.asarray(est, np.float32), sample_rate)
        except Exception:  # the pesq C code rejects some inputs outright: this item has no target
            return math.nan
    if not math.isfinite(p):
        return math.nan
    return float(min(1.0, max(0.0, (p - PESQ_FLOOR) / PESQ_SPAN)))


class PesqTargets:
    """Normalised PESQ of batches of waveforms; the noisy items' scores are computed once per key."""

    def __init__(self, sample_rate: int = 16000, max_cached: int = 200_000):
        self.sample_rate = sample_rate
        self.max_cached = max_cached
        self._noisy: dict[Hashable, float] = {}

    def scores(self, est: Tensor, clean: Tensor) -> Tensor:
        """``est, clean: Tensor[N, T]`` -> ``Tensor[N]`` (float32, NaN where PESQ failed), on est's device."""
        e, c = _numpy(est), _numpy(clean)
        out = [normalised_pesq(c[i], e[i], self.sample_rate) for i in range(len(e))]
        return torch.tensor(out, dtype=torch.float32, device=est.device)

    def noisy_scores(self, keys: Sequence[Hashable], noisy: Tensor, clean: Tensor) -> Tensor:
        """Like :meth:`scores` for noisy inputs, looked up in (and added to) the cache by ``keys``."""
        n, c = _numpy(noisy), _numpy(clean)
        out = []
        for i, key in enumerate(keys):
            if key not in self._noisy:
                if len(self._noisy) >= self.max_cached:  # bounded memory over very long runs
                    self._noisy.pop(next(iter(self._noisy)))
                self._noisy[key] = normalised_pesq(c[i], n[i], self.sample_rate)
            out.append(self._noisy[key])
        return torch.tensor(out, dtype=torch.float32, device=noisy.device)

    @property
    def cached(self) -> int:
        return len(self._noisy)


def _numpy(x: Tensor) -> np.ndarray:
    return x.detach().float().reshape(x.shape[0], -1).cpu().numpy()
