"""`audiogan features|data|cache`: the recipe stage tools, each run once on a tiny synthetic data dir, and
their --help."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main
from tests.cli.test_main import assert_one_line_error


def tone(f0: float, seconds: float = 0.5, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * f0 * t) + 0.01 * np.random.default_rng(int(f0)).standard_normal(t.size))


@pytest.fixture
def datadir(tmp_path):
    """Two speakers, two utterances each: wav.scp, utt2spk, spk2utt (and spk1.scp, a clean reference)."""
    (tmp_path / "wav").mkdir()
    d = tmp_path / "data"
    d.mkdir()
    utts = {"a-1": ("a", 120.0), "a-2": ("a", 130.0), "b-1": ("b", 200.0), "b-2": ("b", 210.0)}
    for u, (_, f0) in utts.items():
        sf.write(tmp_path / "wav" / f"{u}.wav", tone(f0), 16000)
        sf.write(tmp_path / "wav" / f"{u}.clean.wav", 0.5 * tone(f0), 16000)
    (d / "wav.scp").write_text("".join(f"{u} {tmp_path / 'wav' / u}.wav\n" for u in utts))
    (d / "spk1.scp").write_text("".join(f"{u} {tmp_path / 'wav' / u}.clean.wav\n" for u in utts))
    (d / "utt2spk").write_text("".join(f"{u} {s}\n" for u, (s, _) in utts.items()))
    (d / "spk2utt").write_text("a a-1 a-2\nb b-1 b-2\n")
    return d


@pytest.mark.parametrize("argv", [["features", "extract"], ["features", "merge"], ["features", "stats"],
                                  ["data", "validate"], ["data", "subset"], ["data", "split"],
                                  ["data", "combine"], ["data", "utt2dur"], ["data", "link-audio"],
                                  ["data", "collect"], ["data", "fix"], ["cache"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main([*argv, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: audiogan {' '.join(argv)}") and len(out.splitlines()) > 3


def test_bad_argument_is_one_line(datadir, capsys):
    rc = main(["data", "subset", "--first", "9", str(datadir), str(datadir.parent / "out")])
    assert_one_line_error(capsys.readouterr().err, rc)
    assert not (datadir.parent / "out").exists()


def test_features_extract_in_parts_merge_stats(datadir, capsys):
    for j in (1, 2):
        assert main(["features", "extract", "--datadir", str(datadir), "--part", str(j), "--nparts", "2",
                     "--f0-method", "dio", "--coded-dim", "24", "--no-progress"]) == 0
    assert not (datadir / "feats.scp").exists()
    assert main(["features", "merge", "--datadir", str(datadir), "--nparts", "2"]) == 0
    assert [line.split()[0] for line in (datadir / "feats.scp").read_text().splitlines()] == \
        ["a-1", "a-2", "b-1", "b-2"]
    assert json.loads((datadir / "world.json").read_text())["coded_dim"] == 24
    assert main(["features", "stats", "--datadir", str(datadir)]) == 0
    stats = {s: json.loads((datadir / "stats" / f"{s}.json").read_text()) for s in "ab"}
    assert stats["a"] != stats["b"]
    assert "voiced frames" in capsys.readouterr().out


def test_features_merge_names_a_missing_part(datadir, capsys):
    assert main(["features", "extract", "--datadir", str(datadir), "--part", "1", "--nparts", "2",
                 "--f0-method", "dio", "--no-progress"]) == 0
    capsys.readouterr()
    rc = main(["features", "merge", "--datadir", str(datadir), "--nparts", "2"])
    assert "feats.2.scp" in assert_one_line_error(capsys.readouterr().err, rc)


def test_data_tools(datadir, tmp_path, capsys):
    assert main(["data", "validate", "--no-feats", "--no-text", str(datadir)]) == 0
    assert "is valid (4 utterances)" in capsys.readouterr().out
    assert main(["data", "utt2dur", str(datadir)]) == 0
    assert (datadir / "utt2dur").read_text().split("\n")[0] == "a-1 0.5"
    assert main(["data", "subset", "--per-spk", "1", str(datadir), str(tmp_path / "sub")]) == 0
    assert (tmp_path / "sub" / "utt2spk").read_text() == "a-1 a\nb-1 b\n"
    assert main(["data", "split", str(datadir), "2"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"wrote 2 utterances to {tmp_path / 'sub'}\n"
                                                    f"{datadir / 'split2'}")
    assert main(["data", "combine", str(tmp_path / "all"), str(datadir / "split2" / "1"),
                 str(datadir / "split2" / "2")]) == 0
    assert (tmp_path / "all" / "utt2spk").read_text() == (datadir / "utt2spk").read_text()
    assert main(["data", "link-audio", str(datadir), str(tmp_path / "links")]) == 0
    assert sorted(p.name for p in (tmp_path / "links").iterdir()) == [f"{u}.wav" for u in
                                                                     ("a-1", "a-2", "b-1", "b-2")]
    assert main(["data", "collect", str(datadir), str(tmp_path / "links"), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "spk1.scp").read_text() == (datadir / "spk1.scp").read_text()
    (datadir / "utt2spk").write_text("a-1 a\nb-1 b\nb-2 b\na-2 a\n")  # unsorted
    assert main(["data", "fix", str(datadir)]) == 0
    assert main(["data", "validate", "--no-feats", "--no-text", str(datadir)]) == 0


def test_cache_segan(datadir, tmp_path, capsys):
    argv = ["cache", "segan", "--no-progress", f"data.train_dir={datadir}",
            f"data.cache_dir={tmp_path / 'c'}", "model.window=1024"]
    assert main(argv) == 0
    (cache,) = (tmp_path / "c").iterdir()
    assert cache.name.startswith("segan-") and (cache / "meta.json").is_file()
    assert np.load(cache / "signals.npy", mmap_mode="r").shape[-1] >= 4 * 8000
    assert main(argv) == 0  # reused
    assert [p.name for p in (tmp_path / "c").iterdir()] == [cache.name]
