"""The error promise (docs/cli.md), for every subcommand: a bad option or config value is one stderr line
``audiogan: error: ...``, exit code 2, no traceback, and nothing written."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main


@pytest.fixture
def files(tmp_path):
    t = np.arange(8000) / 16000
    sf.write(tmp_path / "in.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    (tmp_path / "clips").mkdir()
    sf.write(tmp_path / "clips" / "a.wav", np.zeros(16000, np.float32), 16000)
    return tmp_path


W = "{d}/in.wav"
CASES = {
    # train: options and config values checked before anything runs
    "train unknown model": (["train", "nosuchmodel", "-o", "{d}/exp"], "nosuchmodel"),
    "train unknown key": (["train", "wavegan", "-o", "{d}/exp", "trainer.bogus=1"], "bogus"),
    "train device": (["train", "wavegan", "-o", "{d}/exp", "trainer.device=tpu"], "tpu"),
    "train batch 0": (["train", "wavegan", "-o", "{d}/exp", "trainer.batch_size=0"], "batch_size"),
    "train save 0": (["train", "segan", "-o", "{d}/exp", "trainer.save_interval=0"], "save_interval"),
    "train log 0": (["train", "segan", "-o", "{d}/exp", "trainer.log_interval=0"], "log_interval"),
    "train lr": (["train", "wavegan", "-o", "{d}/exp", "optim.generator.lr=-1"], "lr"),
    "train max_steps": (["train", "wavegan", "-o", "{d}/exp", "trainer.max_steps=-5"], "max_steps"),
    "train n_critic": (["train", "wavegan", "-o", "{d}/exp", "trainer.n_critic=0"], "n_critic"),
    "train no outdir": (["train", "wavegan"], "--outdir"),
    "train no data": (["train", "wavegan", "-o", "{d}/exp", "trainer.max_steps=1"], "train_dir"),
    # denoise
    "denoise device": (["denoise", W, "-o", "{d}/out", "--device", "tpu"], "tpu"),
    "denoise mp3 out": (["denoise", W, "--output", "{d}/x.mp3"], "x.mp3"),
    "denoise txt out": (["denoise", W, "--output", "{d}/x.txt"], "x.txt"),
    "denoise no ext": (["denoise", W, "--output", "{d}/x"], "x"),
    "denoise overlap": (["denoise", W, "-o", "{d}/out", "--overlap", "0.9"], "0.9"),
    "denoise batch": (["denoise", W, "-o", "{d}/out", "--batch-size", "0"], "batch"),
    "denoise missing": (["denoise", "{d}/nope.wav", "-o", "{d}/out"], "nope.wav"),
    "denoise model": (["denoise", W, "-o", "{d}/out", "-m", "builtin:nope"], "nope"),
    # convert
    "convert device": (["convert", W, "-o", "{d}/out", "--device", "tpu"], "tpu"),
    "convert direction": (["convert", W, "-o", "{d}/out", "--direction", "XY"], "XY"),
    "convert missing": (["convert", "{d}/nope.wav", "-o", "{d}/out"], "nope.wav"),
    "convert wrong model": (["convert", W, "-o", "{d}/out", "-m", "builtin:segan-mini-cpu"], "segan"),
    # generate
    "generate seed": (["generate", "-o", "{d}/out", "--seed", "-5"], "--seed"),
    "generate n huge": (["generate", "-o", "{d}/out", "-n", "100000000000"], "-n"),
    "generate n float": (["generate", "-o", "{d}/out", "-n", "1e11"], "1e11"),
    "generate n 0": (["generate", "-o", "{d}/out", "-n", "0"], "-n"),
    "generate grid": (["generate", "-o", "{d}/out", "--grid", "{d}/g.jpg"], "g.jpg"),
    "generate device": (["generate", "-o", "{d}/out", "--device", "tpu"], "tpu"),
    "generate model": (["generate", "-o", "{d}/out", "-m", "{d}/nope.pt"], "nope.pt"),
    # score
    "score enh missing": (["score", "enhancement", "--ref", "{d}/nope", "--est", "{d}/clips"], "nope"),
    "score conv missing": (["score", "conversion", "--ref", "{d}/nope", "--est", "{d}/clips"], "nope"),
    "score gen splits": (["score", "generation", "--samples", "{d}/clips", "--splits", "0"], "splits"),
    "score gen model": (
        ["score", "generation", "--samples", "{d}/clips", "--classifier", "{d}/x.pt"],
        "x.pt",
    ),
    "score quality missing": (["score", "quality", "{d}/nope.wav"], "nope.wav"),
    # prepare, models, export, report
    "prepare dir missing": (["prepare", "dir", "{d}/nope", "{d}/data"], "nope"),
    "models unknown": (["models", "nope"], "nope"),
    "export missing": (["export", "{d}/nope.pt", "{d}/out.pt"], "nope.pt"),
    "export bad name": (["export", "{d}/nope.pt", "{d}/out.zip"], "out"),
    "report missing": (["report", "{d}/nope", "--system", "a={d}/clips"], "nope"),
    "report bad system": (["report", "{d}", "--system", "noequals"], "noequals"),
    "bad option": (["denoise", W, "-o", "{d}/out", "--frobnicate"], "frobnicate"),
    # features, data, cache (the recipes' stage tools)
    "features extract missing": (["features", "extract", "--datadir", "{d}/nope"], "nope"),
    "features extract f0": (["features", "extract", "--datadir", "{d}", "--f0-method", "yin"], "yin"),
    "features merge nparts": (["features", "merge", "--datadir", "{d}", "--nparts", "0"], "--nparts"),
    "features stats missing": (["features", "stats", "--datadir", "{d}/nope"], "nope"),
    "data validate missing": (["data", "validate", "{d}/nope"], "nope"),
    "data subset 0": (["data", "subset", "--first", "0", "{d}/nope", "{d}/out"], "--first"),
    "data split 0": (["data", "split", "{d}/nope", "0"], "N"),
    "data collect missing": (["data", "collect", "{d}/nope", "{d}/clips", "{d}/out"], "nope"),
    "cache unknown model": (["cache", "wavegan", "data.train_dir={d}"], "wavegan"),
    "cache no train_dir": (["cache", "segan", "data.cache_dir={d}/cache"], "train_dir"),
    "cache bad key": (["cache", "segan", "data.bogus=1"], "bogus"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_argument_is_one_line_and_exit_2(case, files, capsys):
    argv, words = CASES[case]
    argv = [a.replace("{d}", str(files)) for a in argv]
    before = sorted(p.relative_to(files) for p in files.rglob("*"))
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse's own errors
        rc = e.code
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert rc == 2, (case, rc, err)
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("audiogan: error: "), (case, err)
    assert words in lines[0], (case, lines[0])
    after = sorted(p.relative_to(files) for p in files.rglob("*"))
    assert after == before, f"{case}: wrote {set(after) - set(before)}"


def test_os_errors_name_the_users_file_not_our_temporary_one():
    import errno

    from audiogan.cli import describe_os_error

    e = OSError(errno.EROFS, "Read-only file system", "ro_dir/.g.png.tmp.png")
    assert describe_os_error(e) == "ro_dir/g.png: Read-only file system"
    denied = PermissionError(13, "Permission denied", "/x/y.csv")
    assert describe_os_error(denied) == "/x/y.csv: Permission denied"
    assert describe_os_error(OSError("disk on fire")) == "disk on fire"
