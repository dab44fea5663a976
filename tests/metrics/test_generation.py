"""Inception Score and NDB."""

import math

import numpy as np
import pytest
import torch

from audiogan.errors import AudioGanError
from audiogan.metrics.generation import (
    Classifier,
    fit_bins,
    frechet_distance,
    inception_score,
    ndb,
    requested_words,
    score_generation,
    set_warnings,
    summarize,
    two_proportion_pvalues,
)


def test_is_of_a_uniform_classifier_is_one():
    mean, std = inception_score(np.full((100, 10), 0.1))
    assert math.isclose(mean, 1.0, abs_tol=1e-9) and std < 1e-9


def test_is_of_a_confident_balanced_classifier_is_the_number_of_classes():
    k = 10
    probs = np.eye(k)[np.tile(np.arange(k), 20)]
    mean, std = inception_score(probs, splits=1)  # one part: p(y) is exactly uniform
    assert math.isclose(mean, k, rel_tol=1e-6) and std == 0


def test_is_of_a_balanced_set_read_in_word_order_is_close_to_the_number_of_words():
    # a folder samples/<word>/*.wav is read sorted, i.e. grouped by word: contiguous splits held one word
    # each and gave this set an IS of 1 (issue 23); the seeded shuffle gives ~K (10 splits of 100 clips)
    k = 10
    probs = np.eye(k)[np.repeat(np.arange(k), 100)] * 0.99 + 0.001
    mean, _ = inception_score(probs, splits=10)
    assert 8.5 < mean <= k  # sampling noise of a 100-clip split costs ~5 %, the 0.1 % floors ~7 %
    assert inception_score(probs, splits=10) == inception_score(probs, splits=10)  # seeded


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


def test_fid_is_zero_for_one_set_and_matches_the_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    mu, sd = np.array([1.0, -2.0, 0.5]), np.array([1.0, 2.0, 0.5])
    b = rng.normal(size=(4000, 3)) * sd + mu
    # diagonal covariances: ||mu_a - mu_b||^2 + sum (sd_a - sd_b)^2 = 5.25 + 1.25
    assert frechet_distance(a, b) == pytest.approx(6.5, rel=0.05)
    assert frechet_distance(a[:5], b[:5]) >= 0  # fewer rows than dimensions is still a number
    with pytest.raises(AudioGanError, match="FID"):
        frechet_distance(a[:1], b)


class _ByMean(torch.nn.Module):
    """A confident 'classifier' of 4 words: the word is the clip's mean, rounded; it embeds the mean."""

    def forward(self, x):
        m = x.mean(dim=(1, 2))
        return -100 * (m[:, None] - torch.arange(4.0)[None]) ** 2

    def embed(self, x):
        return torch.stack([x.mean(dim=(1, 2)), x[:, 0, 0]], 1)


def _clips(words: np.ndarray, rng) -> torch.Tensor:
    x = words[:, None, None] + 0.1 * rng.standard_normal((len(words), 1, 8))
    return torch.from_numpy(x.astype(np.float32))


def test_score_generation_scores_a_real_set_of_the_generated_size_against_the_rest():
    rng = np.random.default_rng(0)
    clf = Classifier(_ByMean(), ["a", "b", "c", "d"], 16000, 8)
    real_words = np.repeat(np.arange(4), 50)  # 200 balanced real clips, sorted by word
    real = _clips(real_words, rng)
    collapsed = _clips(np.zeros(40), rng)  # a generator that says only "a"
    labels = ["abcd"[w] for w in real_words]
    res = score_generation(clf, collapsed, real, splits=4, bins=4, real_labels=labels)
    assert res["real"]["clips"] == 40 and res["ndb_reference_clips"] == 160 and res["real_clips"] == 200
    assert res["real"]["inception_score"] > 3.0 and res["generated"]["inception_score"] < 1.01
    assert res["real"]["accuracy"] == 1.0 and res["real"]["labelled_clips"] == 200
    assert res["real"]["fid"] < 0.5 < res["generated"]["fid"]
    assert res["generated"]["ndb"] > res["real"]["ndb"]
    assert "generated_at_real_size" not in res
    # too few real clips for an equal-size set plus a reference: halves, and the generated set at that size
    small = score_generation(clf, collapsed, real[::5], splits=4, bins=4)
    assert small["real"]["clips"] == 20 and small["ndb_reference_clips"] == 20
    assert small["generated_at_real_size"]["clips"] == 20


def test_requested_word_accuracy_of_a_conditional_set():
    rng = np.random.default_rng(1)
    clf = Classifier(_ByMean(), ["a", "b", "c", "d"], 16000, 8)
    words = np.repeat(np.arange(4), 5)
    asked = ["abcd"[w] for w in words]
    asked[0] = "b"  # one clip of "a" requested as "b": 19 of 20 right
    res = score_generation(clf, _clips(words, rng), splits=2, requested=asked)
    assert res["generated"]["requested_word_accuracy"] == pytest.approx(0.95)
    assert res["generated"]["requested_word_accuracy_per_word"] == {"a": 1.0, "b": 5 / 6, "c": 1.0, "d": 1.0}


def test_requested_words_come_from_word_sub_folders_only():
    assert requested_words(["yes", "no"], ["no", "yes"]) == ["yes", "no"]
    assert requested_words([None, None], ["no", "yes"]) is None  # flat folder: unconditional
    assert requested_words(["run1", "run1"], ["no", "yes"]) is None  # sub-folders that are not words
    with pytest.raises(AudioGanError, match="sub-folder named by its word"):
        requested_words(["yes", None], ["no", "yes"])


def test_warnings_for_a_small_or_unbalanced_real_set():
    words = ["a", "b", "c"]
    assert set_warnings(100, 400, ["a", "b", "c"] * 133 + ["a"], words, bins=20) == []
    small = set_warnings(1000, 306, None, words, bins=20)
    assert len(small) == 1 and "smaller than the generated set (1000)" in small[0]
    unbalanced = set_warnings(10, 200, ["a"] * 100 + ["b"] * 100, words, bins=20)
    assert len(unbalanced) == 1 and "unbalanced" in unbalanced[0] and "c 0" in unbalanced[0]


def test_the_same_clips_give_the_same_posteriors_from_a_data_dir_or_a_folder_as_wav_or_flac(tmp_path):
    import soundfile as sf

    from audiogan.data.clips import list_clips
    from audiogan.metrics.generation import load_folder
    from audiogan.models.classifier import SpectrogramCNN

    torch.manual_seed(0)
    net = SpectrogramCNN(3, width=2, n_mels=16, n_fft=256, hop_length=128)
    clf = Classifier(net, ["a", "b", "c"], 16000, 16384)
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000  # Speech Commands clips: 16,000 samples, padded to the classifier's 16,384
    sets = {"wav": tmp_path / "wav", "flac": tmp_path / "flac"}
    scp = []
    for i, word in enumerate(["a", "b", "c"]):
        x = 0.4 * np.sin(2 * np.pi * 300 * (i + 1) * t) + 0.05 * rng.standard_normal(len(t))
        x = np.round(x * 32767).astype(np.int16)  # one set of 16-bit samples in both files
        for ext, root in sets.items():
            (root / word).mkdir(parents=True)
            sf.write(root / word / f"spk{i}.{ext}", x, 16000, subtype="PCM_16")
        scp.append(f"spk{i}-{word} {sets['flac'] / word / f'spk{i}.flac'}")
    data = tmp_path / "data"
    data.mkdir()
    (data / "wav.scp").write_text("\n".join(scp) + "\n")
    (data / "utt2label").write_text("".join(f"spk{i}-{w} {w}\n" for i, w in enumerate("abc")))
    inputs, posteriors = {}, {}
    for name, source in {**sets, "data dir": data}.items():
        clips = list_clips(source)
        assert [c.label for c in clips] == ["a", "b", "c"], name
        inputs[name] = load_folder(clf, clips)
        posteriors[name] = clf.probabilities(inputs[name])
    assert inputs["wav"].shape == (3, 1, 16384) and float(inputs["wav"][:, :, :192].abs().max()) == 0
    for name in ("flac", "data dir"):
        assert torch.equal(inputs[name], inputs["wav"]), name
        np.testing.assert_allclose(posteriors[name], posteriors["wav"], rtol=1e-6, atol=1e-9)
