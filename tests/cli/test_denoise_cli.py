"""`audiogan denoise`: rates, channels, formats, folders, and the bad-input table (exit 2, one line)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main
from audiogan.train.trainer import Trainer


def _tone(sr: int, seconds: float, channels: int) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    rng = np.random.default_rng(sr)
    return np.stack(
        [
            0.3 * np.sin(2 * np.pi * (300 + 100 * c) * t) + 0.02 * rng.standard_normal(t.size)
            for c in range(channels)
        ],
        1,
    ).astype(np.float32)


def test_rates_channels_and_formats(tmp_path, ckpt, capsys):
    inp = tmp_path / "in"
    (inp / "deep").mkdir(parents=True)
    cases = {
        "a8k.wav": (8000, 1, "PCM_16"),
        "deep/b44k.flac": (44100, 2, "PCM_24"),
        "c48k.wav": (48000, 2, "FLOAT"),
        "d16k.ogg": (16000, 1, "VORBIS"),
        "short.wav": (16000, 1, "PCM_16"),
    }
    for name, (sr, ch, sub) in cases.items():
        sf.write(inp / name, _tone(sr, 0.02 if name == "short.wav" else 1.1, ch), sr, subtype=sub)
    assert (
        main(
            [
                "denoise",
                "-m",
                str(ckpt),
                str(inp),
                "-o",
                str(tmp_path / "out"),
                "--batch-size",
                "3",
                "--device",
                "cpu",
                "--quiet",
            ]
        )
        == 0
    )
    for name, (sr, ch, sub) in cases.items():
        src, dst = sf.info(str(inp / name)), sf.info(str(tmp_path / "out" / name))
        assert (dst.samplerate, dst.channels, dst.frames, dst.subtype) == (sr, ch, src.frames, sub), name
        y, _ = sf.read(tmp_path / "out" / name)
        limit = 1.05 if sub == "VORBIS" else 1.0  # lossy decoding may overshoot the guarded peak slightly
        assert np.isfinite(y).all() and np.abs(y).max() <= limit
    assert "denoised 5 file(s)" in capsys.readouterr().err


def test_single_output_and_determinism(tmp_path, ckpt):
    sf.write(tmp_path / "x.wav", _tone(16000, 1.5, 1), 16000)
    for name in ("y1.wav", "y2.wav"):
        assert (
            main(
                [
                    "denoise",
                    "-m",
                    str(ckpt / "checkpoints" / "checkpoint-1.pt"),
                    str(tmp_path / "x.wav"),
                    "--output",
                    str(tmp_path / name),
                    "-q",
                    "--device",
                    "cpu",
                ]
            )
            == 0
        )
    np.testing.assert_array_equal(sf.read(tmp_path / "y1.wav")[0], sf.read(tmp_path / "y2.wav")[0])


def _bad_inputs(tmp_path):
    good = tmp_path / "good.wav"
    sf.write(good, _tone(16000, 0.5, 1), 16000)
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "corrupt.wav").write_bytes(good.read_bytes()[:44] + b"\x00garbage" * 3 + b"RIFF" * 2)
    (tmp_path / "text.wav").write_text("this is not audio\n")
    x = _tone(16000, 0.5, 1)
    x[100] = np.nan
    sf.write(tmp_path / "nan.wav", x, 16000, subtype="FLOAT")
    return good


@pytest.mark.parametrize("case", ["empty.wav", "corrupt.wav", "text.wav", "nan.wav", "missing.wav"])
def test_bad_audio_inputs(tmp_path, ckpt, capsys, case):
    _bad_inputs(tmp_path)
    out = tmp_path / "out"
    rc = main(["denoise", "-m", str(ckpt), str(tmp_path / case), "-o", str(out), "-q", "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("audiogan: error:") and case in err[0]
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))  # nothing half-written is left


def test_a_folder_run_that_fails_part_way_says_what_was_written_and_keep_going_does_the_rest(
    tmp_path, ckpt, capsys
):
    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("a.wav", "c.wav"):
        sf.write(inp / name, _tone(16000, 0.5, 1), 16000)
    x = _tone(16000, 0.5, 1)
    x[100] = np.nan
    sf.write(inp / "b_nan.wav", x, 16000, subtype="FLOAT")
    args = ["denoise", "-m", str(ckpt), str(inp), "-q", "--device", "cpu"]
    assert main([*args, "-o", str(tmp_path / "stop")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "b_nan.wav" in err[0] and "1 of 3 file(s) were written" in err[0]
    assert main([*args, "-o", str(tmp_path / "all"), "--keep-going"]) == 2
    err = capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["a.wav", "c.wav"]
    assert "audiogan: error:" in err and "b_nan.wav" in err and "1 of 3 file(s) failed" in err


def test_bad_checkpoints(tmp_path, capsys):
    good = _bad_inputs(tmp_path)
    from audiogan.tasks.toy import ToyGANTask

    cfg = ToyGANTask.default_config()
    cfg["trainer"].update(max_steps=1, progress=False, device="cpu", batch_size=8)
    cfg["data"]["size"] = 16
    cfg["task"] = "toy"
    Trainer(ToyGANTask(cfg), tmp_path / "toy").fit()
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    cases = {
        tmp_path / "toy": "'toy' checkpoint",
        tmp_path / "junk.pt": "not a readable checkpoint",
        tmp_path / "nope.pt": "no such checkpoint",
        good: "not a readable checkpoint",
    }
    for model, msg in cases.items():
        rc = main(["denoise", "-m", str(model), str(good), "-o", str(tmp_path / "out"), "-q"])
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1 and msg in err[0], (model, err)


def test_never_overwrites_an_input(tmp_path, ckpt, capsys):
    good = _bad_inputs(tmp_path)
    before = good.read_bytes()
    assert main(["denoise", "-m", str(ckpt), str(good), "--output", str(good), "-q"]) == 2
    assert main(["denoise", "-m", str(ckpt), str(good), "-o", str(tmp_path), "-q"]) == 2
    assert good.read_bytes() == before
    assert "overwrite" in capsys.readouterr().err


# -- options of the budget-model issue: baseline, plots, overlap, precision, built-in names -------------
def _noisy_file(path, seconds=1.5, sr=16000):
    rng = np.random.default_rng(7)
    t = np.arange(int(sr * seconds)) / sr
    bursts = np.sin(2 * np.pi * 2 * t) > 0
    x = 0.3 * np.sin(2 * np.pi * 200 * t) * bursts + 0.05 * rng.standard_normal(t.size)
    sf.write(path, x.astype(np.float32), sr)
    return path


def test_baseline_logmmse_lowers_the_noise_between_bursts(tmp_path, capsys):
    src = _noisy_file(tmp_path / "n.wav")
    assert main(["denoise", "--baseline", "logmmse", str(src), "-o", str(tmp_path / "out"), "-q"]) == 0
    x, y = sf.read(src)[0], sf.read(tmp_path / "out" / "n.wav")[0]
    assert y.shape == x.shape
    gaps = np.sin(2 * np.pi * 2 * np.arange(x.size) / 16000) < -0.3  # noise only
    gaps[:4000] = False  # the estimator's first 120 ms are its noise estimate
    assert np.std(y[gaps]) < 0.5 * np.std(x[gaps])
    assert "logmmse" in capsys.readouterr().err


def test_plot_writes_a_png_beside_each_output(tmp_path, ckpt):
    src = _noisy_file(tmp_path / "n.wav")
    assert main(["denoise", "-m", str(ckpt), str(src), "-o", str(tmp_path / "out"), "--plot", "-q"]) == 0
    png = tmp_path / "out" / "n.wav.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (png.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask() -> int:
    import os

    m = os.umask(0)
    os.umask(m)
    return m


@pytest.mark.parametrize("overlap", ["0.5", "0.25", "0"])
def test_overlap_options_give_full_length_output(tmp_path, ckpt, overlap):
    src = _noisy_file(tmp_path / "n.wav")
    out = tmp_path / f"o{overlap}.wav"
    assert main(["denoise", "-m", str(ckpt), str(src), "--output", str(out), "--overlap", overlap, "-q"]) == 0
    y = sf.read(out)[0]
    assert y.shape == sf.read(src)[0].shape and np.isfinite(y).all()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--overlap", "0.7"], "--overlap"),
        (["--overlap", "x"], "--overlap"),
        (["--fp32", "--bf16"], "not allowed with"),
        (["-m", "builtin:nope"], "unknown built-in model 'nope'"),
        (["--baseline", "wiener"], "invalid choice"),
    ],
)
def test_bad_new_options_are_one_line_errors(tmp_path, capsys, args, message):
    src = _noisy_file(tmp_path / "n.wav")
    try:
        rc = main(["denoise", *args, str(src), "-o", str(tmp_path / "out")])
    except SystemExit as e:  # argparse's own errors exit directly
        rc = e.code
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("audiogan: error:")
    assert not (tmp_path / "out").exists()


def test_bf16_is_on_by_default_only_where_it_is_fast():
    import torch

    from audiogan.inference.denoise import bf16_is_fast

    amx = bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())
    assert bf16_is_fast("cpu") == amx
    assert bf16_is_fast("meta") is False


@pytest.mark.parametrize(
    "args, message",
    [
        (["--device", "tpu"], "unknown device 'tpu'"),
        (["--output", "x.mp3"], "unsupported output format"),
        (["--output", "noext"], "unsupported output format"),
    ],
)
def test_bad_device_and_output_format(tmp_path, capsys, args, message):
    src = _noisy_file(tmp_path / "n.wav")
    argv = ["denoise", "--baseline", "logmmse", str(src), *args]
    if "--output" not in args:
        argv += ["-o", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_aiff_input_comes_out_as_wav(tmp_path):
    src = tmp_path / "in.aiff"
    sf.write(src, 0.1 * np.random.default_rng(0).standard_normal(8000), 16000)
    assert main(["denoise", "--baseline", "logmmse", str(src), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert sf.info(str(tmp_path / "out" / "in.aiff.wav")).frames == 8000
