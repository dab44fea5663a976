"""Scores for unconditional generation: Inception Score and NDB, both through a trained classifier.

* **Inception Score** (Salimans et al. 2016, as in the WaveGAN paper): ``exp(E_x KL(p(y|x) || p(y)))``
  with the classifier's softmax, computed on ``splits`` equal parts (10 by default) and reported as
  mean ± std over the parts. 1 means every clip gets the same class distribution; the number of
  classes is the maximum (confident and balanced).
* **NDB**, number of statistically different bins (Richardson & Weiss 2018): k-means (``bins``
  centres) on a *reference* half of the real clips in the classifier's embedding space (standardised),
  then for every bin a two-sided two-proportion z-test (level ``alpha``) of the share of the reference
  clips against the share of the tested clips falling in it. Needs real clips (``--real``). The other
  real half is scored the same way: its NDB is what sampling noise alone gives (the ceiling of a
  perfect generator, about ``alpha * bins``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.cluster.vq import kmeans2
from scipy.stats import norm
from torch import nn

from audiogan.data.clips import fit_length
from audiogan.errors import AudioGanError


def inception_score(probs: np.ndarray, splits: int = 10, eps: float = 1e-12) -> tuple[float, float]:
    """``probs: ndarray[N, K]`` (rows sum to 1) -> (mean, std) of the IS over ``splits`` parts."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) < splits:
        raise AudioGanError(f"the Inception Score needs at least {splits} clips, got {len(probs)}")
    scores = []
    for part in np.array_split(probs, splits):
        py = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + eps) - np.log(py + eps))).sum(axis=1).mean()
        scores.append(float(np.exp(kl)))
    return float(np.mean(scores)), float(np.std(scores))


def two_proportion_pvalues(count_a: np.ndarray, n_a: int, count_b: np.ndarray, n_b: int) -> np.ndarray:
    """Two-sided p-values of the pooled two-proportion z-test, per bin."""
    pa, pb = count_a / n_a, count_b / n_b
    pooled = (count_a + count_b) / (n_a + n_b)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (pa - pb) / se, 0.0)
    return 2 * norm.sf(np.abs(z))


def fit_bins(
    reference: np.ndarray, bins: int, seed: int = 0, restarts: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k-means of ``reference: ndarray[N, E]`` (standardised) -> (centres, mean, std), best of restarts."""
    if len(reference) < 2 * bins:
        raise AudioGanError(
            f"NDB with {bins} bins needs at least {2 * bins} reference clips, got {len(reference)}"
        )
    mean, std = reference.mean(0), reference.std(0) + 1e-8
    x = (reference - mean) / std
    best, best_cost = None, np.inf
    for r in range(restarts):
        centres, assign = kmeans2(x, bins, iter=50, minit="++", seed=seed + r)
        cost = float(((x - centres[assign]) ** 2).sum())
        if cost < best_cost:
            best, best_cost = centres, cost
    return best, mean, std


def assign_bins(features: np.ndarray, centres: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    x = (features - mean) / std
    d = ((x[:, None, :] - centres[None]) ** 2).sum(-1)
    return d.argmin(1)


def ndb(
    reference: np.ndarray,
    tested: np.ndarray,
    bins: int = 20,
    alpha: float = 0.05,
    seed: int = 0,
    fitted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """NDB of ``tested: ndarray[M, E]`` against ``reference: ndarray[N, E]`` -> {ndb, bins, ndb_fraction}."""
    centres, mean, std = fitted if fitted is not None else fit_bins(reference, bins, seed)
    k = len(centres)
    ref_counts = np.bincount(assign_bins(reference, centres, mean, std), minlength=k)
    test_counts = np.bincount(assign_bins(tested, centres, mean, std), minlength=k)
    p = two_proportion_pvalues(
        ref_counts.astype(float), len(reference), test_counts.astype(float), len(tested)
    )
    different = int((p < alpha).sum())
    return {"ndb": different, "bins": k, "ndb_fraction": different / k}


@dataclass
class Classifier:
    """A trained evaluation classifier rebuilt from its checkpoint."""

    net: nn.Module
    labels: list[str]
    sample_rate: int
    clip_len: int
    device: str = "cpu"

    def prepare(self, clips: list[np.ndarray] | np.ndarray, sample_rate: int) -> torch.Tensor:
        """Clips (``ndarray[T]`` each, at ``sample_rate``) -> ``Tensor[N, 1, clip_len]`` (resampled)."""
        from audiogan.audio import resample

        out = []
        for x in clips:
            x = np.asarray(x, dtype=np.float32).reshape(1, -1)
            x = resample(x, sample_rate, self.sample_rate)
            out.append(fit_length(x, self.clip_len))
        return torch.from_numpy(np.stack(out).astype(np.float32))

    @torch.no_grad()
    def _run(self, x: torch.Tensor, fn, batch: int = 128) -> np.ndarray:
        self.net.to(self.device).eval()
        return torch.cat(
            [fn(x[i : i + batch].to(self.device)).float().cpu() for i in range(0, len(x), batch)]
        ).numpy()

    def probabilities(self, x: torch.Tensor) -> np.ndarray:
        """``Tensor[N, 1, clip_len] -> ndarray[N, K]`` softmax."""
        return self._run(x, lambda b: torch.softmax(self.net(b), dim=1))

    def embeddings(self, x: torch.Tensor) -> np.ndarray:
        return self._run(x, self.net.embed)


def load_classifier(path: str | os.PathLike, device: str = "cpu") -> Classifier:
    """The scorer of a ``classifier`` checkpoint, run on ``device``
    (:func:`audiogan.inference.loading.load_classifier_model` wrapped with the scoring methods)."""
    from audiogan.inference.loading import load_classifier_model

    m = load_classifier_model(path)
    return Classifier(m.net, m.labels, m.sample_rate, m.clip_len, device)


def load_folder(clf: Classifier, paths: list, progress: bool = False) -> torch.Tensor:
    """Audio files (or clips) -> ``Tensor[N, 1, clip_len]`` (mono, classifier's rate, centred, peak <= 1)."""
    from audiogan.data.clips import load_clip

    it = paths
    if progress:
        from tqdm import tqdm

        it = tqdm(paths, desc="load", unit="clip", disable=None, leave=False)
    return torch.from_numpy(np.stack([load_clip(p, clf.sample_rate, clf.clip_len) for p in it]))


def summarize(
    clf: Classifier, x: torch.Tensor, splits: int, labels: Sequence[str | None] | None = None
) -> tuple[dict[str, Any], np.ndarray]:
    """IS and the predicted-label histogram of ``x`` (and the classifier's accuracy on the clips whose
    true ``labels`` it knows); also returns the embeddings."""
    probs = clf.probabilities(x)
    mean, std = inception_score(probs, splits)
    predicted = probs.argmax(1)
    hist = np.bincount(predicted, minlength=len(clf.labels))
    result = {
        "clips": len(x),
        "inception_score": mean,
        "inception_score_std": std,
        "predicted_labels": {name: int(c) for name, c in zip(clf.labels, hist)},
    }
    if labels is not None:
        index = {name: i for i, name in enumerate(clf.labels)}
        known = [(i, index[lab]) for i, lab in enumerate(labels) if lab in index]
        if known:
            rows, truth = np.array(known).T
            result["accuracy"] = float(np.mean(predicted[rows] == truth))
            result["labelled_clips"] = len(known)
    return result, clf.embeddings(x)


def score_generation(
    clf: Classifier,
    samples: torch.Tensor,
    real: torch.Tensor | None = None,
    splits: int = 10,
    bins: int = 20,
    alpha: float = 0.05,
    seed: int = 0,
    real_labels: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Scores of generated clips ``samples: Tensor[N, 1, clip_len]`` (and of real clips, when given).

    With ``real`` the real clips are shuffled (``seed``) and halved: the first half is the NDB reference
    (k-means bins), the second half is scored as "real" next to the generated clips. ``real_labels`` (one
    per real clip) adds the classifier's accuracy on them.
    """
    gen, gen_emb = summarize(clf, samples, splits)
    results: dict[str, Any] = {"generated": gen}
    if real is not None:
        order = np.random.default_rng(seed).permutation(len(real))
        half = len(real) // 2
        ref_idx, test_idx = np.sort(order[:half]), np.sort(order[half:])
        real_res, real_emb = summarize(clf, real, splits, real_labels)
        fitted = fit_bins(real_emb[ref_idx], bins, seed)
        gen.update(ndb(real_emb[ref_idx], gen_emb, bins, alpha, seed, fitted))
        real_res.update(ndb(real_emb[ref_idx], real_emb[test_idx], bins, alpha, seed, fitted))
        real_res["ndb_tested_clips"] = int(len(test_idx))
        results["real"] = real_res
        results["ndb_reference_clips"] = int(half)
    results.update({"splits": splits, "ndb_alpha": alpha})
    return results
