"""`audiogan convert`: a synthetic vibrato voice converted with a tiny trained checkpoint; rates, channels,
folders and bad inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pyworld
import soundfile as sf

from audiogan.cli import main
from audiogan.features import world
from audiogan.tasks.cyclegan_vc2 import CycleGANVC2Task
from audiogan.train.trainer import Trainer

SR = 16000


def vibrato_voice(f0: float, seconds: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    """Harmonic signal whose F0 follows a 5.5 Hz vibrato (+-5 %) around ``f0``, with a decaying spectrum."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    f = f0 * (1 + 0.05 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(f) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, int(3500 / f0)))
    x = x * np.minimum(1.0, 20 * t) + 0.002 * rng.standard_normal(t.shape)
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def datadir(root: Path, spk: str, f0: float) -> Path:
    d = root / spk
    (d / "wav").mkdir(parents=True)
    lines = []
    for i in range(2):
        p = d / "wav" / f"{spk}_{i}.wav"
        sf.write(p, vibrato_voice(f0 * (1 + 0.05 * i), 0.8, seed=i), SR)
        lines.append(f"{spk}_{i} {p}\n")
    (d / "wav.scp").write_text("".join(lines))
    cfg = world.WorldConfig(f0_method="dio", coded_dim=24)
    world.write_feats(world.extract_many(world.read_wav_scp(d), cfg), d / "feats", d / world.FEATS_SCP)
    world.save_world_config(d / world.WORLD_JSON, cfg)
    return d


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("convert")
    cfg = CycleGANVC2Task.default_config()
    cfg["model"].update(feature_dim=24, generator=dict(channels=4, down_channels=4, res_channels=4,
                                                       res_hidden_channels=8, num_residual=1),
                        discriminator=dict(channels=[4, 4, 8, 8], final_kernel=[1, 5]))
    cfg["data"].update(train_a=str(datadir(root, "lo", 100.0)), train_b=str(datadir(root, "hi", 200.0)),
                       crop_frames=32)
    cfg["trainer"].update(max_steps=1, batch_size=1, save_interval=1, tensorboard=False, progress=False)
    for g in ("generator", "discriminator"):
        cfg["scheduler"][g]["name"] = "none"
    Trainer(CycleGANVC2Task(cfg), root / "exp").fit()
    return root / "exp"


def convert(checkpoint: Path, *args: object) -> int:
    return main(["convert", "-m", str(checkpoint), *map(str, args), "--no-progress"])


def median_f0(path: Path) -> float:
    x, sr = sf.read(path)
    f0, t = pyworld.dio(x.astype(np.float64), sr, f0_floor=60.0, f0_ceil=500.0)
    f0 = pyworld.stonemask(x.astype(np.float64), f0, t, sr)
    return float(np.median(f0[f0 > 0]))


def test_convert_vibrato_voice_both_directions(checkpoint, tmp_path, capsys) -> None:
    src = tmp_path / "in" / "voice.wav"
    src.parent.mkdir()
    sf.write(src, vibrato_voice(100.0, 1.0, seed=7), SR)
    assert convert(checkpoint, "--direction", "A2B", src, "-o", tmp_path / "a2b") == 0
    out = tmp_path / "a2b" / "voice.wav"
    y, sr = sf.read(out)
    assert sr == SR and y.ndim == 1 and len(y) == SR  # same length as the input, at the model's rate
    assert np.isfinite(y).all() and np.abs(y).max() > 1e-3
    # the log-Gaussian F0 transform maps the 100 Hz speaker's F0 to the ~200 Hz speaker's range
    assert 1.6 < median_f0(out) / median_f0(src) < 2.4
    assert convert(checkpoint, "--direction", "B2A", out, "-o", tmp_path / "b2a") == 0
    assert 0.75 < median_f0(tmp_path / "b2a" / "voice.wav") / median_f0(src) < 1.33
    assert src.is_file() and sf.info(src).frames == SR  # input untouched


def test_digital_silence_stays_silent(checkpoint, tmp_path) -> None:
    x = vibrato_voice(100.0, 1.2, seed=3)
    x[int(0.4 * SR) : int(0.8 * SR)] = 0.0  # a gap of digital silence
    sf.write(tmp_path / "gap.wav", x, SR)
    assert convert(checkpoint, tmp_path / "gap.wav", "-o", tmp_path / "out") == 0
    y, _ = sf.read(tmp_path / "out" / "gap.wav")
    assert np.abs(y[int(0.45 * SR) : int(0.75 * SR)]).max() < 1e-3
    assert np.abs(y[: int(0.35 * SR)]).max() > 1e-2


def test_folder_input_resamples_and_downmixes_with_notice(checkpoint, tmp_path, capsys) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    x = vibrato_voice(110.0, 0.6, sr=22050)
    sf.write(folder / "sub" / "stereo.flac", np.stack([x, 0.5 * x], axis=1), 22050)
    sf.write(folder / "mono.wav", vibrato_voice(95.0, 0.5), SR)
    assert convert(checkpoint, folder, "-o", tmp_path / "out") == 0
    err = capsys.readouterr().err
    assert "stereo.flac: downmixed 2 channels to mono, resampled 22050 -> 16000 Hz" in err
    assert "mono.wav: " not in err  # nothing to say about a file already at the model's rate
    y, sr = sf.read(tmp_path / "out" / "sub" / "stereo.wav")
    assert sr == SR and y.ndim == 1 and abs(len(y) - int(0.6 * SR)) <= 1
    assert (tmp_path / "out" / "mono.wav").is_file()


@pytest.mark.parametrize("content", [b"", b"not audio at all" * 10])
def test_bad_input_is_one_line_error(checkpoint, tmp_path, capsys, content: bytes) -> None:
    good = tmp_path / "good.wav"
    sf.write(good, vibrato_voice(100.0, 0.5), SR)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    rc = convert(checkpoint, good, bad, "-o", tmp_path / "out")
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("audiogan: error: ") and "bad.wav" in err[0]
    assert not (tmp_path / "out").exists()  # inputs are checked before anything is written


def test_too_short_and_nan_inputs(checkpoint, tmp_path, capsys) -> None:
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(400, np.float32), SR)
    assert convert(checkpoint, short, "-o", tmp_path / "o") == 2
    assert "too short" in capsys.readouterr().err
    nan = tmp_path / "nan.wav"
    sf.write(nan, np.full(8000, np.nan, np.float32), SR, subtype="FLOAT")
    assert convert(checkpoint, nan, "-o", tmp_path / "o") == 2
    assert "NaN" in capsys.readouterr().err


def test_a_too_short_file_in_a_folder_stops_the_batch_before_any_output(checkpoint, tmp_path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        sf.write(folder / f"a{i}.wav", vibrato_voice(100.0, 0.5, seed=i), SR)
    sf.write(folder / "b_tiny.wav", vibrato_voice(100.0, 0.05), SR)
    assert convert(checkpoint, folder, "-o", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "b_tiny.wav" in err and "too short" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_never_overwrites_an_input(checkpoint, tmp_path, capsys) -> None:
    src = tmp_path / "voice.wav"
    sf.write(src, vibrato_voice(100.0, 0.5), SR)
    before = src.read_bytes()
    assert convert(checkpoint, src, "-o", tmp_path) == 2
    assert "overwrite an input" in capsys.readouterr().err
    assert src.read_bytes() == before


def test_wrong_checkpoints_exit_2(tmp_path, capsys) -> None:
    from audiogan.tasks.toy import ToyGANTask

    cfg = ToyGANTask.default_config()
    cfg["trainer"].update(max_steps=1, save_interval=1, progress=False, tensorboard=False)
    Trainer(ToyGANTask(cfg), tmp_path / "toy").fit()
    src = tmp_path / "voice.wav"
    sf.write(src, vibrato_voice(100.0, 0.5), SR)
    assert convert(tmp_path / "toy", src, "-o", tmp_path / "o") == 2
    assert "is a 'toy' checkpoint, this command needs cyclegan_vc2" in capsys.readouterr().err
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"garbage")
    assert convert(junk, src, "-o", tmp_path / "o") == 2
    assert "not a readable checkpoint" in capsys.readouterr().err


def test_plot_writes_before_after_spectrograms_and_names_the_speakers(checkpoint, tmp_path, capsys) -> None:
    src = tmp_path / "voice.wav"
    sf.write(src, vibrato_voice(100.0, 0.6), SR)
    assert convert(checkpoint, src, "-o", tmp_path / "out", "--plot") == 0
    png = tmp_path / "out" / "voice.wav.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    err = capsys.readouterr().err
    assert "(A -> B)" in err and str(png) in err


# -- speaker names: --source/--target on CycleGAN-VC2 and StarGAN-VC2 models ------------------------------
@pytest.fixture(scope="module")
def star_checkpoint(tmp_path_factory) -> Path:
    from audiogan.tasks.stargan_vc2 import StarGANVC2Task

    root = tmp_path_factory.mktemp("star")
    cfg = StarGANVC2Task.default_config()
    cfg["model"].update(feature_dim=24, generator=dict(channels=4, down_channels=4, res_channels=4,
                                                       res_hidden_channels=8, num_residual=1),
                        discriminator=dict(channels=[4, 8], final_kernel=[1, 5], pooling="sum"))
    dirs = [datadir(root, spk, f0) for spk, f0 in (("lo", 100.0), ("mid", 140.0), ("hi", 200.0))]
    cfg["data"].update(train_dirs=[str(d) for d in dirs], crop_frames=32)
    cfg["trainer"].update(max_steps=1, batch_size=2, save_interval=1, tensorboard=False, progress=False)
    Trainer(StarGANVC2Task(cfg), root / "exp").fit()
    return root / "exp"


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("audiogan: error: "), err
    return err[0]


def test_stargan_source_target_converts_to_any_speaker(star_checkpoint, tmp_path, capsys) -> None:
    src = tmp_path / "voice.wav"
    sf.write(src, vibrato_voice(100.0, 0.8, seed=5), SR)
    assert convert(star_checkpoint, "--source", "lo", "--target", "hi", src, "-o", tmp_path / "hi") == 0
    assert "(lo -> hi)" in capsys.readouterr().err
    assert 1.6 < median_f0(tmp_path / "hi" / "voice.wav") / median_f0(src) < 2.4  # lo's F0 -> hi's range
    assert convert(star_checkpoint, "--source", "lo", "--target", "mid", src, "-o", tmp_path / "mid") == 0
    assert 1.2 < median_f0(tmp_path / "mid" / "voice.wav") / median_f0(src) < 1.7


SPEAKERS = "(this model's speakers: lo, mid, hi)"


@pytest.mark.parametrize("args, expected", [
    (["--source", "lo", "--target", "TM1"], f"unknown target speaker 'TM1' {SPEAKERS}"),
    (["--source", "xx", "--target", "hi"], f"unknown source speaker 'xx' {SPEAKERS}"),
    (["--direction", "A2B"], f"needs --source and --target instead of --direction {SPEAKERS}"),
    ([], "needs --source and --target"),
    (["--source", "lo"], "--source and --target go together"),
])
def test_stargan_speaker_mistakes_are_one_line_errors(star_checkpoint, tmp_path, capsys, args,
                                                      expected) -> None:
    src = tmp_path / "voice.wav"
    sf.write(src, vibrato_voice(100.0, 0.5), SR)
    assert convert(star_checkpoint, *args, src, "-o", tmp_path / "out") == 2
    assert expected in one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_cyclegan_source_target_pick_the_direction(checkpoint, tmp_path, capsys) -> None:
    src = tmp_path / "voice.wav"
    sf.write(src, vibrato_voice(100.0, 0.6, seed=2), SR)
    assert convert(checkpoint, "--direction", "B2A", src, "-o", tmp_path / "dir") == 0
    assert convert(checkpoint, "--source", "B", "--target", "A", src, "-o", tmp_path / "names") == 0
    assert "(B -> A)" in capsys.readouterr().err
    by_direction, by_names = (sf.read(tmp_path / d / "voice.wav")[0] for d in ("dir", "names"))
    assert np.array_equal(by_direction, by_names)
    assert convert(checkpoint, "--source", "A", "--target", "SM1", src, "-o", tmp_path / "o") == 2
    assert "converts only between A (A) and B (B)" in one_error_line(capsys)
    assert convert(checkpoint, "--direction", "A2B", "--source", "A", "--target", "B", src, "-o", "o") == 2
    assert "either --direction or --source/--target" in one_error_line(capsys)


def test_without_m_source_target_fall_back_to_a_stargan_builtin(star_checkpoint, tmp_path, monkeypatch,
                                                                 capsys) -> None:
    from audiogan import checkpoint as ckpt
    from audiogan import pretrained

    star = pretrained.Builtin("star-test", "stargan_vc2", str(ckpt.resolve(star_checkpoint)), "test model")
    monkeypatch.setitem(pretrained.BUILTINS, "star-test", star)
    monkeypatch.setitem(pretrained.DEFAULTS, "stargan_vc2", "star-test")
    src = tmp_path / "voice.wav"
    sf.write(src, vibrato_voice(100.0, 0.5), SR)
    # the CycleGAN built-in converts SF1 <-> TM1 only: lo -> hi goes to the many-to-many built-in
    assert main(["convert", "--source", "lo", "--target", "hi", str(src), "-o", str(tmp_path / "a"),
                 "-q"]) == 0
    assert "(lo -> hi)" in capsys.readouterr().err
    assert main(["convert", "-m", "builtin:star-test", "--source", "hi", "--target", "mid", str(src), "-o",
                 str(tmp_path / "b"), "-q"]) == 0
    assert "(hi -> mid)" in capsys.readouterr().err
    # `audiogan models` names what --source/--target take, for each voice-conversion built-in
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "builtin:star-test  [stargan_vc2" in out and "    speakers: lo mid hi\n" in out
    assert "    speakers: SF1 TM1\n" in out
