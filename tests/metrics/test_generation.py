"""Inception Score and NDB."""

import math

import numpy as np
import pytest
import torch

from audiogan.errors import AudioGanError
from audiogan.metrics.generation import (
    Classifier,
    fit_bins,
    inception_score,
    ndb,
    summarize,
    two_proportion_pvalues,
)


def test_is_of_a_uniform_classifier_is_one():
    mean, std = inception_score(np.full((100, 10), 0.1))
    assert math.isclose(mean, 1.0, abs_tol=1e-9) and std < 1e-9


def test_is_of_a_confident_balanced_classifier_is_the_number_of_classes():
    k = 10
    probs = np.eye(k)[np.tile(np.arange(k), 20)]  # every split holds every class equally often
    mean, std = inception_score(probs, splits=10)
    assert math.isclose(mean, k, rel_tol=1e-6) and std < 1e-6


def test_is_of_a_confident_single_class_is_one():
    probs = np.zeros((50, 4))
    probs[:, 2] = 1
    assert math.isclose(inception_score(probs)[0], 1.0, rel_tol=1e-6)


def test_is_lies_between_one_and_the_class_count():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(5, 0.3), size=200)
    mean, std = inception_score(probs)
    assert 1 < mean < 5 and std > 0


def test_is_needs_enough_clips():
    with pytest.raises(AudioGanError, match="at least 10"):
        inception_score(np.full((5, 3), 1 / 3))


def test_two_proportion_test():
    p = two_proportion_pvalues(np.array([50.0, 50.0, 10.0]), 100, np.array([50.0, 90.0, 10.0]), 100)
    assert p[0] == pytest.approx(1.0) and p[1] < 1e-6 and p[2] == pytest.approx(1.0)


def test_ndb_is_small_for_the_same_distribution_and_large_for_a_different_one():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 8)) * 5
    reference = centres[rng.integers(0, 5, 1000)] + rng.normal(size=(1000, 8))
    same = centres[rng.integers(0, 5, 1000)] + rng.normal(size=(1000, 8))
    collapsed = centres[np.zeros(1000, int)] + rng.normal(size=(1000, 8))  # mode collapse onto one cluster
    fitted = fit_bins(reference, 10)
    r_same = ndb(reference, same, 10, fitted=fitted)
    r_bad = ndb(reference, collapsed, 10, fitted=fitted)
    assert r_same["bins"] == 10 and r_same["ndb"] <= 2
    assert r_bad["ndb"] >= 6 and r_bad["ndb_fraction"] == r_bad["ndb"] / 10


def test_ndb_needs_enough_reference_clips():
    with pytest.raises(AudioGanError, match="reference clips"):
        ndb(np.zeros((10, 2)), np.zeros((10, 2)), bins=20)


class _ByLoudness(torch.nn.Module):
    """A 2-class 'classifier': class 1 when the clip's mean is positive."""

    def forward(self, x):
        m = x.mean(dim=(1, 2))
        return torch.stack([-m, m], 1) * 100

    def embed(self, x):
        return x.mean(dim=2)


def test_accuracy_on_labelled_real_clips_counts_only_known_labels():
    clf = Classifier(_ByLoudness(), ["neg", "pos"], 16000, 8)
    x = torch.tensor([1.0, 1.0, -1.0, -1.0]).reshape(4, 1, 1).expand(4, 1, 8).contiguous()
    result, _ = summarize(clf, x, splits=1, labels=["pos", "neg", "neg", None])
    assert result["labelled_clips"] == 3
    assert result["accuracy"] == pytest.approx(2 / 3)  # clip 1 is wrong, clip 4 has no label
    assert "accuracy" not in summarize(clf, x, splits=1)[0]
