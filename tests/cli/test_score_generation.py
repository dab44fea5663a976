"""`audiogan score generation` end to end on a tiny classifier checkpoint: IS (seeded shuffle), the
equal-size real set, FID/NDB, the conditional layout, warnings and errors."""

import json

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main
from audiogan.config import load_config
from audiogan.tasks.classifier import ClassifierTask
from audiogan.train.trainer import Trainer

COMMON = [
    "trainer.max_steps=1",
    "trainer.batch_size=2",
    "trainer.progress=false",
    "trainer.tensorboard=false",
    "trainer.eval_interval=0",
]
FREQS = {"low": 300.0, "high": 3000.0}


def tones(folder, label, n, seed, f=None):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(16000) / 16000
    for i in range(n):
        x = 0.3 * np.sin(2 * np.pi * (f or FREQS[label]) * (1 + 0.02 * i) * t)
        x += 0.01 * rng.standard_normal(16000)
        sf.write(folder / f"s{i}_{label}.wav", x.astype(np.float32), 16000)


@pytest.fixture(scope="module")
def clf(tmp_path_factory):
    root = tmp_path_factory.mktemp("score_gen")
    for label in FREQS:
        tones(root / "data" / label, label, 12, seed=len(label))
    cfg = load_config(
        ClassifierTask.default_config(),
        None,
        [f"data.train_dir={root / 'data'}", "model.width=2", "data.valid_fraction=0.3", *COMMON],
    )
    Trainer(ClassifierTask(cfg), root / "clf").fit()
    return root


def score(root, samples, *extra):
    return main(["score", "generation", "--classifier", str(root / "clf"), "--samples", str(samples), *extra])


def test_json_is_seeded_and_a_small_real_set_is_halved_with_a_warning(clf, tmp_path, capsys):
    tones(tmp_path / "s", "gen", 20, seed=3, f=1000.0)
    args = ["--real", str(clf / "data"), "--ndb-bins", "3", "--splits", "2", "--json"]
    assert score(clf, tmp_path / "s", *args) == 0
    captured = capsys.readouterr()
    out, err = captured.out.strip().splitlines(), captured.err
    res = json.loads(out[-1])
    # 24 real clips cannot give 20 equal-size clips plus a reference of 2 x 3 bins: halves, and a warning
    assert err.count("audiogan: warning:") == 1 and "too small beside the generated set (20)" in err
    assert res["generated"]["clips"] == 20 and res["real"]["clips"] == 12 and res["real_clips"] == 24
    assert res["ndb_reference_clips"] == 12 and res["generated_at_real_size"]["clips"] == 12
    # the IS recomputed here from the classifier's own posteriors: exp(E KL(p(y|x) || p(y))) per split of
    # the clips in the seeded order
    from audiogan.audio import find_audio_files
    from audiogan.metrics.generation import load_classifier, load_folder

    model = load_classifier(clf / "clf")
    probs = model.probabilities(load_folder(model, find_audio_files([tmp_path / "s"]))).astype(np.float64)
    shuffled = probs[np.random.default_rng(0).permutation(20)]
    scores = []
    for part in (shuffled[:10], shuffled[10:]):  # --splits 2
        marginal = part.mean(axis=0)
        scores.append(np.exp(np.mean(np.sum(part * (np.log(part) - np.log(marginal)), axis=1))))
    assert res["generated"]["inception_score"] == pytest.approx(np.mean(scores), rel=1e-6)
    assert res["generated"]["inception_score_std"] == pytest.approx(np.std(scores), rel=1e-5, abs=1e-9)
    counts = np.bincount(probs.argmax(1), minlength=2)
    assert res["generated"]["predicted_labels"] == dict(zip(model.labels, counts.tolist()))
    assert res["real"]["labelled_clips"] == 24 and 0 <= res["real"]["accuracy"] <= 1
    for part in ("generated", "real", "generated_at_real_size"):
        assert res[part]["bins"] == 3 and 0 <= res[part]["ndb"] <= 3 and res[part]["fid"] >= 0
    assert "requested_word_accuracy" not in res["generated"]  # a flat folder: unconditional
    assert out[0].startswith("generated")
    # the same command gives the same numbers (seeded shuffle, draw and k-means)
    assert score(clf, tmp_path / "s", *args) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == res


def test_an_equal_size_real_set_is_drawn_and_the_rest_is_the_reference(clf, tmp_path, capsys):
    tones(tmp_path / "s", "gen", 10, seed=4, f=1000.0)
    assert score(clf, tmp_path / "s", "--real", str(clf / "data"), "--ndb-bins", "3", "--json") == 0
    captured = capsys.readouterr()
    res = json.loads(captured.out.strip().splitlines()[-1])
    assert "warning" not in captured.err  # 24 balanced real clips >= 10 + 2 x 3
    assert res["real"]["clips"] == 10 and res["ndb_reference_clips"] == 14
    assert "generated_at_real_size" not in res


def test_a_word_folder_is_conditional_and_an_unbalanced_real_set_warns(clf, tmp_path, capsys):
    for label in FREQS:
        tones(tmp_path / "s" / label, label, 6, seed=5)
    assert score(clf, tmp_path / "s", "--real", str(clf / "data" / "low"), "--ndb-bins", "2",
                 "--splits", "2", "--json") == 0
    captured = capsys.readouterr()
    gen = json.loads(captured.out.strip().splitlines()[-1])["generated"]
    assert 0 <= gen["requested_word_accuracy"] <= 1
    assert set(gen["requested_word_accuracy_per_word"]) == {"low", "high"}
    assert "requested word" in captured.out.splitlines()[0]
    # 10 real clips of one word, in a word folder: fewer than the 12 generated, and unbalanced
    (tmp_path / "one" / "low").mkdir(parents=True)
    for p in sorted((clf / "data" / "low").glob("*.wav"))[:10]:
        (tmp_path / "one" / "low" / p.name).symlink_to(p)
    real = ["--real", str(tmp_path / "one")]
    assert score(clf, tmp_path / "s", *real, "--ndb-bins", "2", "--splits", "2") == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("audiogan: warning:") for line in err)
    assert "smaller than the generated set (12)" in err[0] and "unbalanced" in err[1] and "high 0" in err[1]
    # clips both in word folders and outside them: one-line error
    tones(tmp_path / "s", "stray", 1, seed=6, f=500.0)
    assert score(clf, tmp_path / "s") == 2
    err = capsys.readouterr().err
    assert err.startswith("audiogan: error:") and err.count("\n") == 1 and "named by its word" in err


def test_without_real_and_errors(clf, tmp_path, capsys):
    tones(tmp_path / "s", "gen", 10, seed=7, f=1000.0)
    assert score(clf, tmp_path / "s", "--json") == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "real" not in res and "ndb" not in res["generated"] and "fid" not in res["generated"]
    not_a_classifier = ["--classifier", str(clf / "data")]
    assert main(["score", "generation", *not_a_classifier, "--samples", str(tmp_path / "s")]) == 2
    assert score(clf, tmp_path / "none") == 2
    assert score(clf, tmp_path / "s", "--splits", "11") == 2  # 10 clips cannot fill 11 IS splits
    assert "pass --splits 10 or fewer" in capsys.readouterr().err
    assert score(clf, tmp_path / "s", "--real", str(clf / "data" / "low")) == 2  # 6 + 6 real clips
    assert "--real has 12 clips" in capsys.readouterr().err
    (tmp_path / "e").mkdir()
    assert score(clf, tmp_path / "e") == 2
    assert "Traceback" not in capsys.readouterr().err
