"""`audiogan generate` and `audiogan score generation` end to end on tiny checkpoints."""

import json

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main
from audiogan.config import load_config
from audiogan.tasks.classifier import ClassifierTask
from audiogan.tasks.wavegan import WaveGANTask
from audiogan.train.trainer import Trainer

COMMON = [
    "trainer.max_steps=1",
    "trainer.batch_size=2",
    "trainer.progress=false",
    "trainer.tensorboard=false",
    "trainer.eval_interval=0",
]


@pytest.fixture(scope="module")
def exps(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    data = root / "data"
    rng = np.random.default_rng(0)
    for label, f in (("low", 300.0), ("high", 3000.0)):
        (data / label).mkdir(parents=True)
        for i in range(12):
            t = np.arange(16000) / 16000
            x = 0.3 * np.sin(2 * np.pi * f * (1 + 0.02 * i) * t) + 0.01 * rng.standard_normal(16000)
            sf.write(data / label / f"s{i}_{label}.wav", x.astype(np.float32), 16000)
    wg = load_config(
        WaveGANTask.default_config(),
        None,
        [f"data.train_dir={data}", "model.dim=2", "trainer.n_critic=1", *COMMON],
    )
    Trainer(WaveGANTask(wg), root / "wg").fit()
    clf = load_config(
        ClassifierTask.default_config(),
        None,
        [f"data.train_dir={data}", "model.width=2", "data.valid_fraction=0.3", *COMMON],
    )
    Trainer(ClassifierTask(clf), root / "clf").fit()
    return root


def wavs(folder):
    return {p.name: sf.read(p, dtype="float32")[0] for p in sorted(folder.glob("*.wav"))}


def test_same_seed_same_files_other_seed_other_files(exps, tmp_path):
    assert (
        main(["generate", "-m", str(exps / "wg"), "-n", "3", "-o", str(tmp_path / "a"), "--seed", "7"]) == 0
    )
    assert (
        main(
            [
                "generate",
                "-m",
                str(exps / "wg"),
                "-n",
                "3",
                "-o",
                str(tmp_path / "b"),
                "--seed",
                "7",
                "--batch-size",
                "2",
            ]
        )
        == 0
    )
    assert (
        main(["generate", "-m", str(exps / "wg"), "-n", "2", "-o", str(tmp_path / "c"), "--seed", "8"]) == 0
    )
    assert (
        main(["generate", "-m", str(exps / "wg"), "-n", "3", "-o", str(tmp_path / "d"), "--seed", "7"]) == 0
    )
    a, b, c, d = (wavs(tmp_path / x) for x in "abcd")
    assert sorted(a) == ["sample_0000.wav", "sample_0001.wav", "sample_0002.wav"]
    assert all(len(x) == 16384 for x in a.values())
    assert all(np.array_equal(a[k], d[k]) for k in a)  # bit-identical files for the same command
    assert all(np.allclose(a[k], b[k], atol=2 / 32768, rtol=0) for k in a)  # other batching: within 1 LSB
    assert not np.allclose(a["sample_0000.wav"], c["sample_0000.wav"])
    assert sf.info(tmp_path / "a" / "sample_0000.wav").samplerate == 16000


def test_interpolation_endpoints_are_the_seeds_own_samples(exps, tmp_path):
    out = tmp_path / "i"
    assert (
        main(
            [
                "generate",
                "-m",
                str(exps / "wg"),
                "-n",
                "2",
                "-o",
                str(out),
                "--seed",
                "3",
                "--interpolate",
                "5",
                "--seed-to",
                "9",
                "--grid",
                str(tmp_path / "grid.png"),
            ]
        )
        == 0
    )
    got = wavs(out)
    assert len(got) == 10 and (tmp_path / "grid.png").stat().st_size > 1000
    main(["generate", "-m", str(exps / "wg"), "-n", "2", "-o", str(tmp_path / "s3"), "--seed", "3"])
    main(["generate", "-m", str(exps / "wg"), "-n", "2", "-o", str(tmp_path / "s9"), "--seed", "9"])
    s3, s9 = wavs(tmp_path / "s3"), wavs(tmp_path / "s9")
    for i in range(2):
        # same latents; batching differs (10 vs 2 clips), so allow one 16-bit LSB
        assert np.allclose(got[f"interp_{i:04d}_000.wav"], s3[f"sample_{i:04d}.wav"], atol=2 / 32768, rtol=0)
        assert np.allclose(got[f"interp_{i:04d}_004.wav"], s9[f"sample_{i:04d}.wav"], atol=2 / 32768, rtol=0)
    assert not np.allclose(got["interp_0000_002.wav"], s3["sample_0000.wav"])


def test_grid_png(exps, tmp_path):
    grid = tmp_path / "g.png"
    assert (
        main(["generate", "-m", str(exps / "wg"), "-n", "4", "-o", str(tmp_path / "o"), "--grid", str(grid)])
        == 0
    )
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_one_line_and_exit_2(exps, tmp_path, capsys):
    assert main(["generate", "-m", str(exps / "clf"), "-n", "1", "-o", str(tmp_path / "x")]) == 2
    assert "needs wavegan" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["generate", "-m", str(bad), "-o", str(tmp_path / "x")]) == 2
    assert main(["generate", "-m", str(exps / "wg"), "-n", "0", "-o", str(tmp_path / "x")]) == 2
    assert main(["generate", "-m", str(exps / "wg"), "--interpolate", "1", "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("audiogan: error:") == 3
    for bad_args in (["--seed", "-5"], ["-n", "100000000000"], ["-n", "500", "--interpolate", "50"]):
        assert main(["generate", "-m", str(exps / "wg"), *bad_args, "-o", str(tmp_path / "x")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("audiogan: error:") and err.count("\n") == 1, bad_args
    assert not (tmp_path / "x").exists()


def test_score_generation_json(exps, tmp_path, capsys):
    main(["generate", "-m", str(exps / "wg"), "-n", "20", "-o", str(tmp_path / "s")])
    capsys.readouterr()
    assert (
        main(
            [
                "score",
                "generation",
                "--classifier",
                str(exps / "clf"),
                "--samples",
                str(tmp_path / "s"),
                "--real",
                str(exps / "data"),
                "--ndb-bins",
                "3",
                "--splits",
                "2",
                "--json",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.strip().splitlines()
    res = json.loads(out[-1])
    assert res["generated"]["clips"] == 20 and res["real"]["clips"] == 24
    # the IS recomputed here from the classifier's own posteriors: exp(E KL(p(y|x) || p(y))) per split
    from audiogan.audio import find_audio_files
    from audiogan.metrics.generation import load_classifier, load_folder

    clf = load_classifier(exps / "clf")
    probs = clf.probabilities(load_folder(clf, find_audio_files([tmp_path / "s"]))).astype(np.float64)
    scores = []
    for part in (probs[:10], probs[10:]):  # --splits 2
        marginal = part.mean(axis=0)
        scores.append(np.exp(np.mean(np.sum(part * (np.log(part) - np.log(marginal)), axis=1))))
    assert res["generated"]["inception_score"] == pytest.approx(np.mean(scores), rel=1e-6)
    assert res["generated"]["inception_score_std"] == pytest.approx(np.std(scores), rel=1e-5, abs=1e-9)
    counts = np.bincount(probs.argmax(1), minlength=2)
    assert res["generated"]["predicted_labels"] == dict(zip(clf.labels, counts.tolist()))
    assert res["real"]["labelled_clips"] == 24 and 0 <= res["real"]["accuracy"] <= 1
    assert res["generated"]["bins"] == 3 and 0 <= res["generated"]["ndb"] <= 3
    assert res["ndb_reference_clips"] == 12
    assert out[0].startswith("generated")
    # the same command gives the same numbers (seeded split and k-means)
    assert main(["score", "generation", "--classifier", str(exps / "clf"), "--samples", str(tmp_path / "s"),
                 "--real", str(exps / "data"), "--ndb-bins", "3", "--splits", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == res


def test_score_generation_without_real_and_errors(exps, tmp_path, capsys):
    main(["generate", "-m", str(exps / "wg"), "-n", "10", "-o", str(tmp_path / "s")])
    capsys.readouterr()
    assert (
        main(
            [
                "score",
                "generation",
                "--classifier",
                str(exps / "clf"),
                "--samples",
                str(tmp_path / "s"),
                "--json",
            ]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "real" not in res and "ndb" not in res["generated"]
    assert (
        main(["score", "generation", "--classifier", str(exps / "wg"), "--samples", str(tmp_path / "s")]) == 2
    )
    assert (
        main(["score", "generation", "--classifier", str(exps / "clf"), "--samples", str(tmp_path / "none")])
        == 2
    )
    (tmp_path / "e").mkdir()
    assert (
        main(["score", "generation", "--classifier", str(exps / "clf"), "--samples", str(tmp_path / "e")])
        == 2
    )
    assert "Traceback" not in capsys.readouterr().err


def test_latents_do_not_depend_on_the_count_and_interpolation_is_exact_at_the_ends():
    from audiogan.inference.generate import interpolate_latents, latents

    a, b = latents(3, 5, 100), latents(3, 2, 100)
    assert np.array_equal(a[:2], b) and a.min() >= -1 and a.max() <= 1
    path = interpolate_latents(latents(1, 2, 100), latents(2, 2, 100), 4)
    assert path.shape == (2, 4, 100)
    assert np.array_equal(path[:, 0], latents(1, 2, 100)) and np.array_equal(path[:, -1], latents(2, 2, 100))
    assert np.allclose(path[:, 1], (2 * path[:, 0] + path[:, 3]) / 3, atol=1e-6)
