"""Per-speaker WORLD statistics (log-F0 and coded-envelope mean/std) and the conversions that use them."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audiogan.errors import AudioGanError, DataDirError
from audiogan.paths import write_text_atomic

_STD_FLOOR = 1e-8


@dataclass
class SpeakerStats:
    """Per-speaker normalisation statistics.

    ``logf0_mean``/``logf0_std``: mean and (population) std of ln F0 over voiced frames;
    ``sp_mean[D]``/``sp_std[D]``: per-dimension mean and std of ``coded_sp`` over all frames.
    """

    logf0_mean: float
    logf0_std: float
    sp_mean: np.ndarray
    sp_std: np.ndarray
    n_frames: int = 0
    n_voiced: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain floats/lists/ints only, so it can sit in a checkpoint loaded with ``weights_only=True``."""
        return {
            "logf0_mean": float(self.logf0_mean),
            "logf0_std": float(self.logf0_std),
            "sp_mean": [float(v) for v in self.sp_mean],
            "sp_std": [float(v) for v in self.sp_std],
            "n_frames": int(self.n_frames),
            "n_voiced": int(self.n_voiced),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SpeakerStats:
        """Inverse of :meth:`to_dict`; also accepts tensors/arrays for the vectors."""
        try:
            sp_mean = np.asarray(_to_numpy(d["sp_mean"]), dtype=np.float64).reshape(-1)
            sp_std = np.asarray(_to_numpy(d["sp_std"]), dtype=np.float64).reshape(-1)
            stats = cls(
                logf0_mean=float(d["logf0_mean"]),
                logf0_std=float(d["logf0_std"]),
                sp_mean=sp_mean,
                sp_std=sp_std,
                n_frames=int(d.get("n_frames", 0)),
                n_voiced=int(d.get("n_voiced", 0)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise DataDirError(f"malformed speaker statistics ({type(e).__name__}: {e})") from None
        if stats.sp_mean.shape != stats.sp_std.shape or not (
            np.isfinite(stats.sp_mean).all()
            and np.isfinite(stats.sp_std).all()
            and math.isfinite(stats.logf0_mean)
        ):
            raise DataDirError("malformed speaker statistics (shape mismatch or non-finite values)")
        return stats

    def save(self, path: str | os.PathLike) -> Path:
        """Write as JSON (atomically)."""
        write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=1) + "\n")
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> SpeakerStats:
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except FileNotFoundError:
            raise DataDirError(f"{path}: no such statistics file (run the 'stats' step)") from None
        except (OSError, ValueError) as e:
            raise DataDirError(f"{path}: unreadable statistics file ({type(e).__name__})") from None
        if not isinstance(d, dict):
            raise DataDirError(f"{path}: not a statistics file")
        try:
            return cls.from_dict(d)
        except DataDirError as e:
            raise DataDirError(f"{path}: {e}") from None


def _to_numpy(v: Any) -> Any:
    return v.detach().cpu().numpy() if hasattr(v, "detach") else v


def compute_stats(feats: Iterable[Mapping[str, np.ndarray]]) -> SpeakerStats:
    """Statistics of one speaker from its utterances' features (dicts with ``f0[N]`` and ``coded_sp[N, D]``).

    Standard deviations are population stds floored at 1e-8 so normalising never divides by zero.
    """
    f0s, sps = [], []
    for f in feats:
        f0s.append(np.asarray(f["f0"], dtype=np.float64).reshape(-1))
        sps.append(np.asarray(f["coded_sp"], dtype=np.float64))
    if not sps:
        raise AudioGanError("no utterances to compute statistics from")
    dims = {s.shape[1] for s in sps}
    if len(dims) != 1:
        raise DataDirError(f"utterances have different coded_sp sizes {sorted(dims)}")
    f0 = np.concatenate(f0s)
    sp = np.concatenate(sps, axis=0)
    voiced = f0[f0 > 0]
    if voiced.size < 2:
        raise AudioGanError("no voiced frames: cannot compute log-F0 statistics (is this speech?)")
    logf0 = np.log(voiced)
    return SpeakerStats(
        logf0_mean=float(logf0.mean()),
        logf0_std=float(max(logf0.std(), _STD_FLOOR)),
        sp_mean=sp.mean(axis=0),
        sp_std=np.maximum(sp.std(axis=0), _STD_FLOOR),
        n_frames=int(sp.shape[0]),
        n_voiced=int(voiced.size),
    )


def convert_f0(f0: np.ndarray, src: SpeakerStats, tgt: SpeakerStats) -> np.ndarray:
    """Log-Gaussian normalised F0 transform: ``exp((ln f0 - mu_s) / sd_s * sd_t + mu_t)`` on voiced frames.

    ``f0: ndarray[N]`` (Hz); unvoiced frames (f0 <= 0) stay 0.
    """
    f0 = np.asarray(f0, dtype=np.float64)
    out = np.zeros_like(f0)
    v = f0 > 0
    out[v] = np.exp((np.log(f0[v]) - src.logf0_mean) / src.logf0_std * tgt.logf0_std + tgt.logf0_mean)
    return out


def normalize_coded_sp(coded_sp: np.ndarray, stats: SpeakerStats) -> np.ndarray:
    """``(coded_sp - sp_mean) / sp_std`` for ``coded_sp: ndarray[N, D]``."""
    _check_dim(coded_sp, stats)
    return (np.asarray(coded_sp) - stats.sp_mean) / stats.sp_std


def denormalize_coded_sp(coded_sp: np.ndarray, stats: SpeakerStats) -> np.ndarray:
    """Inverse of :func:`normalize_coded_sp`."""
    _check_dim(coded_sp, stats)
    return np.asarray(coded_sp) * stats.sp_std + stats.sp_mean


def _check_dim(coded_sp: np.ndarray, stats: SpeakerStats) -> None:
    if np.shape(coded_sp)[-1] != stats.sp_mean.shape[0]:
        raise AudioGanError(
            f"coded envelope has {np.shape(coded_sp)[-1]} dims "
            f"but the statistics have {stats.sp_mean.shape[0]}"
        )
