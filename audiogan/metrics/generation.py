"""Scores for generated audio through a trained classifier: Inception Score, FID, NDB, word accuracy.

* **Inception Score** (Salimans et al. 2016, as in the WaveGAN paper): ``exp(E_x KL(p(y|x) || p(y)))``
  with the classifier's softmax, computed on ``splits`` parts (10 by default) of the clips *in a seeded
  random order* and reported as mean ± std over the parts. 1 means every clip gets the same class
  distribution; the number of classes is the maximum (confident and balanced). The shuffle matters: a
  folder read in sorted order groups its clips by word, and a part holding one word has p(y) ≈ p(y|x),
  so contiguous parts gave balanced real speech an IS near 1 (issue 23). The IS also grows with the
  part size (a part of 30 clips rarely holds 10 words evenly): compare sets of equal size.
* **FID** (Fréchet distance between Gaussians fitted to the classifier's penultimate features of two
  sets; Heusel et al. 2017): see :func:`frechet_distance`.
* **NDB**, number of statistically different bins (Richardson & Weiss 2018): k-means (``bins`` centres) on
  a *reference* part of the real clips in the classifier's embedding space (standardised), then for every
  bin a two-sided two-proportion z-test (level ``alpha``) of the share of the reference clips against the
  share of the tested clips falling in it.
* **Equal-size real scores** (:func:`score_generation`): the real clips are shuffled (seeded) and a set
  of the generated set's size is scored exactly like the generated clips, against the remaining real
  clips as the NDB / FID reference; this is the ceiling a perfect generator would reach at that size.
* **Requested-word accuracy** of a conditional model: the share of clips the classifier labels as the
  word they were generated for.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import torch
from scipy.cluster.vq import kmeans2
from scipy.stats import norm
from torch import nn

from audiogan.data.clips import fit_length
from audiogan.errors import AudioGanError


def inception_score(
    probs: np.ndarray, splits: int = 10, eps: float = 1e-12, seed: int = 0
) -> tuple[float, float]:
    """``probs: ndarray[N, K]`` (rows sum to 1) -> (mean, std) of the IS over ``splits`` parts of the rows
    in a random order (``seed``): the result does not depend on the order the clips were read in."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) < splits:
        raise AudioGanError(f"the Inception Score needs at least {splits} clips, got {len(probs)}")
    probs = probs[np.random.default_rng(seed).permutation(len(probs))]
    scores = []
    for part in np.array_split(probs, splits):
        py = part.mean(axis=0, keepdims=True)  # p(y) of this part, as in Salimans et al.'s reference code
        kl = (part * (np.log(part + eps) - np.log(py + eps))).sum(axis=1).mean()
        scores.append(float(np.exp(kl)))
    return float(np.mean(scores)), float(np.std(scores))


def frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = 1e-6) -> float:
    """FID between features ``a: ndarray[N, E]`` and ``b: ndarray[M, E]`` (N, M >= 2).

    ``||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` with unbiased covariances, as the reference
    implementation defines it (TTUR's ``fid.py`` ``calculate_frechet_distance`` by Heusel et al., ported
    unchanged to pytorch-fid): ``scipy.linalg.sqrtm`` of the product, ``eps * I`` added to both covariances
    when the product's root is not finite, and the imaginary part of the root dropped (the reference
    raises when it is large, which a set with fewer clips than feature dimensions can trigger; we keep the
    real part and clamp the distance at 0). Hand-written (a few lines) because those packages bring the
    image Inception network along; only the features differ (the audio classifier's penultimate layer).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or len(a) < 2 or len(b) < 2 or a.shape[1] != b.shape[1]:
        raise AudioGanError(f"FID needs two sets of >= 2 feature rows of one width, got {a.shape}, {b.shape}")
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # a singular product is handled just below, as the reference does
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(s1)) * eps
        covmean = scipy.linalg.sqrtm((s1 + offset) @ (s2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean), 0.0))


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
        """``Tensor[N, 1, clip_len] -> ndarray[N, E]``: the penultimate features (NDB bins, FID)."""
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


def requested_words(
    labels: Sequence[str | None], words: Sequence[str], where: str = "samples"
) -> list[str] | None:
    """The word each generated clip was requested as, from the layout ``samples/<word>/*.wav``; None for a
    flat folder (or sub-folders that are not words: an unconditional model's runs)."""
    known = set(words)
    if not any(lab in known for lab in labels):
        return None
    odd = sorted({str(lab) for lab in labels if lab not in known})
    if odd:
        raise AudioGanError(
            f"{where}: clips in word sub-folders and elsewhere ('{odd[0]}'); a conditional set needs every "
            f"clip in a sub-folder named by its word ({', '.join(words)})"
        )
    return [str(lab) for lab in labels]


def equal_size(n_generated: int, n_real: int, bins: int) -> int:
    """How many real clips :func:`score_generation` scores beside ``n_generated`` generated ones: as many,
    when the rest (the reference) keeps at least ``2 * bins`` clips; else half of them."""
    return n_generated if n_real >= n_generated + 2 * bins else n_real - n_real // 2


def set_warnings(n_generated: int, n_real: int, real_labels: Sequence[str | None] | None,
                 words: Sequence[str], bins: int) -> list[str]:
    """One-line warnings about a real set that cannot give a like-for-like ceiling: smaller than the
    generated set, or unbalanced over the classifier's words (its IS ceiling is then below the word count)."""
    out = []
    eq = equal_size(n_generated, n_real, bins)
    if eq < n_generated:
        how = "smaller than" if n_real < n_generated else "too small beside"
        out.append(
            f"the real set ({n_real} clips) is {how} "
            f"the generated set ({n_generated}): the real scores use {eq} clips (the other {n_real // 2} are "
            f"the reference) and the generated set is scored at that size too (generated_at_real_size)"
        )
    if real_labels is not None and all(lab is not None for lab in real_labels):
        counts = np.array([sum(lab == w for lab in real_labels) for w in words], dtype=float)
        share = counts[counts > 0] / max(counts.sum(), 1)
        effective = math.exp(-(share * np.log(share)).sum())  # exp(entropy): the IS of a perfect classifier
        if counts.sum() > 0 and effective < 0.95 * len(words):
            spread = ", ".join(f"{w} {int(c)}" for w, c in zip(words, counts))
            out.append(
                f"the real set is unbalanced over the classifier's {len(words)} words ({spread}): its IS can "
                f"reach only {effective:.2f}, not {len(words)}"
            )
    return out


def _scores(clf: Classifier, probs: np.ndarray, splits: int, seed: int) -> dict[str, Any]:
    mean, std = inception_score(probs, splits, seed=seed)
    hist = np.bincount(probs.argmax(1), minlength=len(clf.labels))
    return {
        "clips": len(probs),
        "inception_score": mean,
        "inception_score_std": std,
        "predicted_labels": {name: int(c) for name, c in zip(clf.labels, hist)},
    }


def accuracy(clf: Classifier, probs: np.ndarray, labels: Sequence[str | None]) -> dict[str, Any]:
    """Share of the clips with a known label (one of the classifier's) that it labels so."""
    index = {name: i for i, name in enumerate(clf.labels)}
    known = [(i, index[lab]) for i, lab in enumerate(labels) if lab in index]
    if not known:
        return {}
    rows, truth = np.array(known).T
    return {"accuracy": float(np.mean(probs.argmax(1)[rows] == truth)), "labelled_clips": len(known)}


def summarize(
    clf: Classifier, x: torch.Tensor, splits: int, labels: Sequence[str | None] | None = None
) -> tuple[dict[str, Any], np.ndarray]:
    """IS and the predicted-label histogram of ``x`` (and the classifier's accuracy on the clips whose
    true ``labels`` it knows); also returns the embeddings."""
    probs = clf.probabilities(x)
    result = _scores(clf, probs, splits, 0)
    if labels is not None:
        result.update(accuracy(clf, probs, labels))
    return result, clf.embeddings(x)


def _against(ref: np.ndarray, emb: np.ndarray, bins: int, alpha: float, seed: int, fitted) -> dict[str, Any]:
    return {**ndb(ref, emb, bins, alpha, seed, fitted), "fid": frechet_distance(emb, ref)}


def score_generation(
    clf: Classifier,
    samples: torch.Tensor,
    real: torch.Tensor | None = None,
    splits: int = 10,
    bins: int = 20,
    alpha: float = 0.05,
    seed: int = 0,
    real_labels: Sequence[str | None] | None = None,
    requested: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Scores of generated clips ``samples: Tensor[N, 1, clip_len]`` (and of real clips, when given).

    ``requested`` (one word per generated clip, for a conditional model) adds the share recognised as
    their word. With ``real: Tensor[M, 1, clip_len]`` the real clips are shuffled (``seed``): the first N
    are scored like the generated ones ("real", the equal-size ceiling) and the other M - N are the
    reference (NDB bins, FID statistics). When M < N + 2 * bins the real clips are halved instead and the
    generated set is also scored on a seeded subset of the real half's size (``generated_at_real_size``).
    ``real_labels`` (one per real clip) adds the classifier's accuracy on all the real clips.
    """
    g_probs = clf.probabilities(samples)
    gen = _scores(clf, g_probs, splits, seed)
    if requested is not None:
        gen["requested_word_accuracy"] = accuracy(clf, g_probs, requested)["accuracy"]
        wanted, predicted = np.array(requested), np.array(clf.labels)[g_probs.argmax(1)]
        gen["requested_word_accuracy_per_word"] = {
            w: float(np.mean(predicted[wanted == w] == w)) for w in clf.labels if w in set(requested)
        }
    results: dict[str, Any] = {"generated": gen}
    if real is not None:
        r_probs, r_emb, g_emb = clf.probabilities(real), clf.embeddings(real), clf.embeddings(samples)
        order = np.random.default_rng(seed).permutation(len(real))
        n_eq = equal_size(len(samples), len(real), bins)
        test_idx, ref_idx = np.sort(order[:n_eq]), np.sort(order[n_eq:])
        ref = r_emb[ref_idx]
        fitted = fit_bins(ref, bins, seed)
        gen.update(_against(ref, g_emb, bins, alpha, seed, fitted))
        real_res = _scores(clf, r_probs[test_idx], splits, seed)
        real_res.update(_against(ref, r_emb[test_idx], bins, alpha, seed, fitted))
        real_res["ndb_tested_clips"] = int(n_eq)
        if real_labels is not None:
            real_res.update(accuracy(clf, r_probs, real_labels))  # on all the real clips given
        results["real"] = real_res
        if n_eq < len(samples):
            sub = np.sort(np.random.default_rng(seed + 1).permutation(len(samples))[:n_eq])
            at = _scores(clf, g_probs[sub], splits, seed)
            at.update(_against(ref, g_emb[sub], bins, alpha, seed, fitted))
            results["generated_at_real_size"] = at
        results.update({"ndb_reference_clips": int(len(ref_idx)), "real_clips": int(len(real))})
    results.update({"splits": splits, "ndb_alpha": alpha, "seed": seed})
    return results
