"""Joint-density GMM voice conversion (Toda et al. 2007): the classical parallel baseline.

One GMM over joint vectors ``[x, Δx, y, Δy]`` of DTW-aligned parallel frames converts both ways (``swap``).
Conversion is maximum-likelihood parameter generation (MLPG) over the static+delta means and variances of the
most likely mixture per frame, followed by a global-variance (GV) postfilter, and the log-F0 mean/variance
transform. Built on maintained libraries: scikit-learn's ``GaussianMixture`` (EM), nnmnkwii's
``baseline.gmm.MLPG`` and ``preprocessing.delta_features`` (Toda's MLPG), librosa's DTW.

The GV step is the variance-scaling postfilter (as in sprocket's ``GV.postfilter``: each converted
utterance's per-dimension variance is scaled to the target speaker's mean GV), not the iterative
GV-constrained MLPG of the paper: it recovers most of the over-smoothing at a fraction of the cost and is
what VC toolkits ship.

Features are plain arrays, the model knows nothing of WORLD: ``x: ndarray[N, D]`` static features per frame
(mel-cepstra c1..cD in the recipe; the caller keeps c0 and the aperiodicity). F0 ``ndarray[N]`` in Hz,
0 = unvoiced. The model is saved as plain arrays in one ``.npz``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiogan.errors import AudioGanError
from audiogan.paths import atomic_open

# nnmnkwii's window format: (left, right, coefficients); static and first-order delta
WINDOWS = [(0, 0, np.array([1.0])), (1, 1, np.array([-0.5, 0.0, 0.5]))]
DIRECTIONS = ("A2B", "B2A")
_FIELDS = ("weights", "means", "covariances", "gv_a", "gv_b", "logf0_a", "logf0_b")


def add_deltas(x: np.ndarray) -> np.ndarray:
    """``x: ndarray[N, D]`` -> ``[x, Δx]: ndarray[N, 2D]`` with Δx_t = (x_{t+1} - x_{t-1}) / 2."""
    from nnmnkwii.preprocessing import delta_features

    return delta_features(np.asarray(x, dtype=np.float64), WINDOWS)


def mlpg(means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """ML trajectory ``ndarray[N, D]`` from static+delta ``means``/``variances: ndarray[N, 2D]``
    (nnmnkwii.paramgen.mlpg with :data:`WINDOWS`: deltas zero-padded at the ends, as :func:`add_deltas`)."""
    from nnmnkwii.paramgen import mlpg as _mlpg

    return _mlpg(np.asarray(means, np.float64), np.asarray(variances, np.float64), WINDOWS)


def dtw_align(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays ``(i[L], j[L])`` pairing ``x: ndarray[N, D]`` with ``y: ndarray[M, D]`` (Euclidean DTW,
    librosa.sequence.dtw, steps (1,1), (1,0), (0,1))."""
    import librosa

    _, path = librosa.sequence.dtw(X=np.asarray(x, np.float64).T, Y=np.asarray(y, np.float64).T,
                                   metric="euclidean", backtrack=True)
    path = path[::-1]
    return path[:, 0], path[:, 1]


def log_f0_stats(f0s: Sequence[np.ndarray]) -> np.ndarray:
    """``[mean, std]`` of ln F0 over the voiced frames (F0 > 0) of every contour."""
    v = np.concatenate([np.asarray(f, np.float64).reshape(-1) for f in f0s])
    v = v[v > 0]
    if v.size < 2:
        raise AudioGanError("no voiced frames: cannot compute log-F0 statistics")
    return np.array([np.log(v).mean(), max(float(np.log(v).std()), 1e-8)])


def global_variance(seqs: Sequence[np.ndarray]) -> np.ndarray:
    """Mean over utterances of the per-utterance, per-dimension variance: ``ndarray[D]``."""
    return np.mean([np.asarray(s, np.float64).var(axis=0) for s in seqs], axis=0)


def gv_postfilter(y: np.ndarray, gv: np.ndarray, weight: float = 1.0,
                  mask: np.ndarray | None = None) -> np.ndarray:
    """Scale each dimension of ``y: ndarray[N, D]`` about its mean so its variance moves to ``gv[D]``
    (``weight`` 1: all the way, 0: unchanged); mean and variance measured on the ``mask`` frames (``bool[N]``,
    default all), e.g. speech only, so leading silence does not dilute them."""
    m = slice(None) if mask is None or not np.any(mask) else np.asarray(mask, bool)
    mean = y[m].mean(axis=0)
    ratio = np.sqrt(gv / np.maximum(y[m].var(axis=0), 1e-12))
    return (y - mean) * (weight * ratio + 1.0 - weight) + mean


@dataclass
class JointGMM:
    """A fitted joint-density GMM over ``[x, Δx, y, Δy]`` plus the speakers' GV and log-F0 statistics.

    ``weights[M]``, ``means[M, 4D]``, ``covariances[M, 4D, 4D]`` (full); ``gv_a[D]``, ``gv_b[D]``;
    ``logf0_a``/``logf0_b``: ``[mean, std]`` of ln F0. Speaker A is the ``x`` side.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    gv_a: np.ndarray
    gv_b: np.ndarray
    logf0_a: np.ndarray
    logf0_b: np.ndarray

    @property
    def static_dim(self) -> int:
        return int(self.means.shape[1] // 4)

    @classmethod
    def fit(cls, pairs: Sequence[tuple[np.ndarray, np.ndarray]],
            f0_pairs: Sequence[tuple[np.ndarray, np.ndarray]], n_components: int = 32,
            masks: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
            max_iter: int = 100, reg_covar: float = 1e-3, seed: int = 0,
            max_frames: int | None = None) -> JointGMM:
        """Fit on parallel utterances ``pairs = [(x[N, D], y[M, D]), ...]`` (same sentence, A and B).

        Deltas are taken on each whole sequence; then only the frames of ``masks`` (``(bool[N], bool[M])``,
        e.g. speech frames; default all) are DTW-aligned on the statics and stacked into joint vectors.
        ``f0_pairs``: the utterances' F0 contours for the log-F0 statistics. ``reg_covar`` is added to the
        covariance diagonals (the features' scale is ~0.1-1, mel-cepstra). ``max_frames``: fit EM on a seeded
        random subset of that many joint frames (EM's cost is linear in frames; 50k frames estimate 32 full
        96-dim covariances well, at a third of the 162-pair set's cost).
        """
        from sklearn.mixture import GaussianMixture

        if not pairs:
            raise AudioGanError("GMM fit: no parallel pairs")
        joint = []
        for k, (x, y) in enumerate(pairs):
            if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
                raise AudioGanError(f"GMM fit: pair {k} has shapes {x.shape}, {y.shape} "
                                    "(need [N, D], [M, D])")
            xd, yd = add_deltas(x), add_deltas(y)
            if masks is not None:
                xd, yd = xd[masks[k][0]], yd[masks[k][1]]
            d = x.shape[1]
            i, j = dtw_align(xd[:, :d], yd[:, :d])
            joint.append(np.hstack([xd[i], yd[j]]))
        data = np.concatenate(joint)
        total = data.shape[0]
        if max_frames and total > max_frames:
            data = data[np.sort(np.random.default_rng(seed).choice(total, int(max_frames), replace=False))]
        if data.shape[0] < n_components * 10:
            raise AudioGanError(f"GMM fit: {data.shape[0]} aligned frames are too few "
                                f"for {n_components} mixtures")
        gmm = GaussianMixture(n_components=n_components, covariance_type="full", max_iter=max_iter,
                              reg_covar=reg_covar, random_state=seed).fit(data)
        model = cls(weights=gmm.weights_, means=gmm.means_, covariances=gmm.covariances_,
                    gv_a=global_variance([x for x, _ in pairs]), gv_b=global_variance([y for _, y in pairs]),
                    logf0_a=log_f0_stats([f for f, _ in f0_pairs]),
                    logf0_b=log_f0_stats([g for _, g in f0_pairs]))
        model.fit_info = {"frames": int(total), "frames_fitted": int(data.shape[0]),
                          "em_iterations": int(gmm.n_iter_),
                          "converged": bool(gmm.converged_)}  # for the log; not saved
        return model

    def _mlpg(self, direction: str):
        """nnmnkwii's MLPG generator for one direction (built from the stored arrays)."""
        from nnmnkwii.baseline.gmm import MLPG
        from sklearn.mixture import GaussianMixture

        if direction not in DIRECTIONS:
            raise AudioGanError(f"direction must be A2B or B2A, got '{direction}'")
        gmm = GaussianMixture(n_components=len(self.weights), covariance_type="full")
        gmm.weights_, gmm.means_, gmm.covariances_ = self.weights, self.means, self.covariances
        return MLPG(gmm, windows=WINDOWS, swap=direction == "B2A")

    def convert(self, x: np.ndarray, direction: str = "A2B", gv_weight: float = 1.0,
                gv_mask: np.ndarray | None = None) -> np.ndarray:
        """Convert statics ``x: ndarray[N, D]`` of the source speaker -> ``ndarray[N, D]`` of the target.

        MLPG on the static+delta conditional means; then the GV postfilter with the target's GV, its
        utterance mean and variance measured on ``gv_mask`` frames (``bool[N]``, default all).
        """
        x = np.asarray(x, np.float64)
        if x.ndim != 2 or x.shape[1] != self.static_dim:
            raise AudioGanError(f"GMM convert: features of shape {x.shape}; "
                                f"the model has {self.static_dim} dims")
        y = self._mlpg(direction).transform(add_deltas(x))
        if gv_weight > 0:
            y = gv_postfilter(y, self.gv_b if direction == "A2B" else self.gv_a, gv_weight, gv_mask)
        return y

    def convert_f0(self, f0: np.ndarray, direction: str = "A2B") -> np.ndarray:
        """Log-F0 mean/variance transform of ``f0: ndarray[N]`` (Hz); unvoiced frames stay 0."""
        src, tgt = (self.logf0_a, self.logf0_b) if direction == "A2B" else (self.logf0_b, self.logf0_a)
        f0 = np.asarray(f0, np.float64)
        out = np.zeros_like(f0)
        v = f0 > 0
        out[v] = np.exp((np.log(f0[v]) - src[0]) / src[1] * tgt[1] + tgt[0])
        return out

    def save(self, path: str | os.PathLike) -> Path:
        """Write the arrays to one ``.npz`` atomically."""
        path = Path(path)
        with atomic_open(path, "wb") as f:
            np.savez(f, **{k: np.asarray(getattr(self, k)) for k in _FIELDS})
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> JointGMM:
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: np.asarray(z[k], np.float64) for k in _FIELDS}
        except (OSError, KeyError, ValueError) as e:
            raise AudioGanError(f"{path}: not a GMM conversion model ({type(e).__name__})") from None
        return cls(**arrays)
