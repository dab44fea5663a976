"""`audiogan generate` end to end on tiny checkpoints (`score generation`: test_score_generation.py)."""


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


def test_latents_do_not_depend_on_the_count_and_interpolation_is_exact_at_the_ends():
    from audiogan.inference.generate import interpolate_latents, latents

    a, b = latents(3, 5, 100), latents(3, 2, 100)
    assert np.array_equal(a[:2], b) and a.min() >= -1 and a.max() <= 1
    path = interpolate_latents(latents(1, 2, 100), latents(2, 2, 100), 4)
    assert path.shape == (2, 4, 100)
    assert np.array_equal(path[:, 0], latents(1, 2, 100)) and np.array_equal(path[:, -1], latents(2, 2, 100))
    assert np.allclose(path[:, 1], (2 * path[:, 0] + path[:, 3]) / 3, atol=1e-6)


@pytest.fixture(scope="module")
def conditional(exps):
    """One-step conditional WaveGAN and SpecGAN checkpoints on the fixture's two words (low, high)."""
    from audiogan.tasks.specgan import SpecGANTask

    data = exps / "data"
    for task_cls, name, extra in (
        (WaveGANTask, "cwg", ["model.dim=2"]),
        (SpecGANTask, "csg", ["model.dim=1", "data.stats_clips=4", "eval.griffin_lim_iters=2"]),
    ):
        over = [f"data.train_dir={data}", "model.num_classes=2", "model.embed_dim=4", "trainer.n_critic=1"]
        cfg = load_config(task_cls.default_config(), None, [*over, *extra, *COMMON])
        Trainer(task_cls(cfg), exps / name).fit()
    return exps


def test_word_and_all_words_layout(conditional, tmp_path, capsys):
    cwg = str(conditional / "cwg")
    assert main(["generate", "-m", cwg, "--word", "low", "-n", "2", "-o", str(tmp_path / "one")]) == 0
    written = sorted(p.relative_to(tmp_path / "one").as_posix() for p in (tmp_path / "one").rglob("*.wav"))
    assert written == ["low/sample_0000.wav", "low/sample_0001.wav"]
    grid = tmp_path / "g.png"
    assert main(["generate", "-m", cwg, "--word", "all", "-n", "2", "-o", str(tmp_path / "all"),
                 "--grid", str(grid)]) == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["high", "low"]
    assert len(wavs(tmp_path / "all" / "high")) == 2 and grid.is_file()
    one, low = wavs(tmp_path / "one" / "low"), wavs(tmp_path / "all" / "low")
    # the same latents for every word: equal up to one 16-bit step (the batch of 2 and the batch of 4 may take
    # different oneDNN kernels, whose float rounding can flip a sample's last PCM bit)
    assert all(np.allclose(one[k], low[k], rtol=0, atol=2**-15) for k in one)
    high = wavs(tmp_path / "all" / "high")
    assert not np.array_equal(low["sample_0000.wav"], high["sample_0000.wav"])  # the word matters
    assert main(["generate", "-m", cwg, "-n", "3", "-o", str(tmp_path / "flat")]) == 0
    flat = ["sample_0000_high.wav", "sample_0001_low.wav", "sample_0002_high.wav"]
    assert sorted(wavs(tmp_path / "flat")) == flat
    capsys.readouterr()


def test_word_errors_are_one_line_and_exit_2(conditional, tmp_path, capsys):
    cases = (
        (conditional / "wg", "yes", "unconditional (it knows no words)"),
        (conditional / "cwg", "yes", "unknown word 'yes' (this model knows: high, low, or all)"),
    )
    for ckpt, word, message in cases:
        assert main(["generate", "-m", str(ckpt), "--word", word, "-o", str(tmp_path / "x")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("audiogan: error:") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "x").exists()


def test_specgan_checkpoint_generates_audio_by_griffin_lim(conditional, tmp_path, capsys):
    out = tmp_path / "sg"
    assert main(["generate", "-m", str(conditional / "csg"), "--word", "high", "-n", "2", "-o", str(out)]) \
        == 0
    clips = wavs(out / "high")
    assert len(clips) == 2
    assert all(x.shape == (16384,) and np.isfinite(x).all() for x in clips.values())
    assert "wrote 2 clips (1.024 s at 16000 Hz)" in capsys.readouterr().err


def test_model_words_lists_a_conditional_models_words(conditional):
    from audiogan.inference.loading import model_words

    assert model_words(conditional / "cwg") == ["high", "low"]
    assert model_words(conditional / "csg") == ["high", "low"]
    assert model_words(conditional / "wg") == []


def test_conditional_interpolation_keeps_one_word_per_path(conditional, tmp_path, capsys):
    out = tmp_path / "i"
    args = ["-m", str(conditional / "cwg"), "-n", "2", "--interpolate", "3", "-o", str(out)]
    assert main(["generate", *args]) == 0
    names = sorted(wavs(out))
    assert names[:3] == [f"interp_0000_00{k}_high.wav" for k in range(3)]
    assert names[3:] == [f"interp_0001_00{k}_low.wav" for k in range(3)]
    capsys.readouterr()
