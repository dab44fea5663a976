"""`audiogan prepare dir|mix`: data dirs from folders, noisy mixtures, one-line errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main
from audiogan.data.datadir import DataDir, read_table
from audiogan.data.mix import measure_snr
from audiogan.data.operations import subset_data_dir

SR = 16000


def noise_clip(seconds: float, seed: int) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * SR))).astype(np.float32)


@pytest.fixture()
def corpus(tmp_path):
    """corpus/{alice,bob}/... with wav, flac and ogg files, one nested a level deeper."""
    root = tmp_path / "corpus"
    files = {"alice/a1.wav": 0.5, "alice/a2.flac": 0.75, "bob/b1.ogg": 0.5, "bob/sub/b2.wav": 1.0}
    for i, (rel, sec) in enumerate(files.items()):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(p, noise_clip(sec, i), SR)
    (root / "notes.txt").write_text("not audio, ignored")
    return root


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_prepare_dir_round_trip(corpus, tmp_path, capsys):
    rc, out, _ = run_cli(capsys, "prepare", "dir", str(corpus), str(tmp_path / "d"))
    assert rc == 0 and "4 utterances, 3 speakers" in out
    d = DataDir(tmp_path / "d")
    d.validate(no_feats=True, no_text=True)
    assert d.utt2spk == {"alice-a1": "alice", "alice-a2": "alice", "bob-b1": "bob", "sub-bob-sub-b2": "sub"}
    assert d.wav_scp["alice-a2"] == str((corpus / "alice/a2.flac").resolve())
    durs = {"alice-a1": 0.5, "alice-a2": 0.75, "bob-b1": 0.5, "sub-bob-sub-b2": 1.0}
    assert d.utt2dur == pytest.approx(durs)
    x, sr = d.load_audio("bob-b1")
    assert sr == SR and x.shape == (1, SR // 2)
    before = {p.name: p.read_bytes() for p in (tmp_path / "d").iterdir()}
    assert run_cli(capsys, "prepare", "dir", str(corpus), str(tmp_path / "d"))[0] == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "d").iterdir()} == before


def test_prepare_dir_speaker_and_label_rules(corpus, tmp_path, capsys):
    rc, _, err = run_cli(capsys, "prepare", "dir", str(corpus), str(tmp_path / "d"),
                         "--speaker-from", r"regex:^(?P<id>[a-z]+)/", "--label-from", r"regex:/([a-z])\d")
    assert rc == 0, err
    d = DataDir(tmp_path / "d")
    assert d.utt2spk == {"alice-a1": "alice", "alice-a2": "alice", "bob-b1": "bob", "bob-sub-b2": "bob"}
    assert d.extra("utt2label") == {"alice-a1": "a", "alice-a2": "a", "bob-b1": "b", "bob-sub-b2": "b"}
    d.validate(no_feats=True, no_text=True)
    rc, _, _ = run_cli(capsys, "prepare", "dir", str(corpus), str(tmp_path / "u"), "--speaker-from", "utt")
    assert rc == 0
    assert all(u == s for u, s in DataDir(tmp_path / "u").utt2spk.items())
    # A re-run without labels removes the stale utt2label.
    assert run_cli(capsys, "prepare", "dir", str(corpus), str(tmp_path / "d"))[0] == 0
    assert not (tmp_path / "d" / "utt2label").exists()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("none", ["missing"], "missing: no such folder"),
        ("empty", ["empty"], "holds no .wav, .flac or .ogg files"),
        ("corrupt", ["corrupt"], "not a readable audio file"),
        ("clash", ["clash"], "both give utterance id 's-a'"),
        ("ok", ["ok", "--speaker-from", "regex:("], "invalid regular expression"),
        ("ok", ["ok", "--speaker-from", "regex:^zzz"], "does not match this path"),
        ("ok", ["ok", "--speaker-from", "grandparent"], "must be parent, utt or regex:PATTERN"),
    ],
)
def test_prepare_dir_bad_input_is_one_line(tmp_path, capsys, setup, args, message):
    if setup == "empty":
        (tmp_path / "empty").mkdir()
    elif setup == "corrupt":
        (tmp_path / "corrupt" / "s").mkdir(parents=True)
        (tmp_path / "corrupt" / "s" / "bad.wav").write_bytes(b"RIFF....garbage")
    elif setup == "clash":
        (tmp_path / "clash" / "s").mkdir(parents=True)
        sf.write(tmp_path / "clash" / "s" / "a.wav", noise_clip(0.1, 0), SR)
        sf.write(tmp_path / "clash" / "s" / "a.flac", noise_clip(0.1, 0), SR)
    elif setup == "ok":
        (tmp_path / "ok" / "s").mkdir(parents=True)
        sf.write(tmp_path / "ok" / "s" / "a.wav", noise_clip(0.1, 0), SR)
    rc, _, err = run_cli(capsys, "prepare", "dir", str(tmp_path / args[0]), str(tmp_path / "out"), *args[1:])
    assert rc == 2
    assert err.startswith("audiogan: error: ") and message in err and err.count("\n") == 1


def test_prepare_mix_cli(corpus, tmp_path, capsys):
    noise = tmp_path / "noise"
    noise.mkdir()
    sf.write(noise / "hum.wav", noise_clip(2.0, 7), SR)
    assert run_cli(capsys, "prepare", "dir", str(corpus), str(tmp_path / "clean"))[0] == 0
    assert run_cli(capsys, "prepare", "dir", str(noise), str(tmp_path / "noise_dir"))[0] == 0
    args = ["prepare", "mix", "--clean", str(tmp_path / "clean"), "--noise", str(tmp_path / "noise_dir"),
            "--snrs=-5,5", "--seed", "4", "--snr-mode", "utterance"]
    rc, out, err = run_cli(capsys, *args, str(tmp_path / "mix"))
    assert rc == 0, err
    assert "4 noisy utterances" in out
    d = DataDir(tmp_path / "mix")
    d.validate(no_feats=True, no_text=True)
    assert read_table(tmp_path / "mix" / "utt2noise")["bob-b1"].startswith("noise-hum ")
    assert "snr_mode: utterance" in (tmp_path / "mix" / "mix.yaml").read_text()
    for utt, snr in d.extra("utt2snr").items():
        noisy = sf.read(d.wav_scp[utt])[0]
        ref = sf.read(d.extra("spk1.scp")[utt])[0]
        assert measure_snr(ref, noisy - ref, SR, "utterance") == pytest.approx(float(snr), abs=0.1)
    rc, _, err = run_cli(capsys, *args[:-4], "--snrs", "loud", str(tmp_path / "m2"))
    assert rc == 2 and "--snrs must be comma-separated numbers" in err
    rc, _, err = run_cli(capsys, "prepare", "mix", "--clean", str(tmp_path / "nope"), "--noise",
                         str(tmp_path / "noise_dir"), "--snrs", "0", str(tmp_path / "m3"))
    assert rc == 2 and err == f"audiogan: error: {tmp_path / 'nope'}: no such data dir\n"


def test_prepare_dir_on_real_speech_matches_the_manifest(tmp_path, capsys, data_root):
    rc, _, err = run_cli(capsys, "prepare", "dir", str(data_root / "vcc2016"), str(tmp_path / "vcc"))
    assert rc == 0, err
    d = DataDir(tmp_path / "vcc")
    d.validate(no_feats=True, no_text=True)
    with open(data_root / "manifest.tsv") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["set"] == "vcc2016"]
    assert len(d.utts) == len(rows) == 120 and d.speakers == ["SF1", "SM1", "TF1", "TM1"]
    for r in rows:
        spk, name = Path(r["path"]).parts[1], Path(r["path"]).stem
        assert d.utt2dur[f"{spk}-{name}"] == pytest.approx(int(r["num_samples"]) / 16000, abs=1e-5)


def test_prepare_mix_on_real_speech_and_noise(tmp_path, capsys, data_root):
    assert run_cli(capsys, "prepare", "dir", str(data_root / "arctic"), str(tmp_path / "arctic"))[0] == 0
    assert run_cli(capsys, "prepare", "dir", str(data_root / "noise"), str(tmp_path / "noise"))[0] == 0
    subset_data_dir(tmp_path / "arctic", tmp_path / "clean", ["clb-arctic_a0001", "slt-arctic_a0002"])
    rc, _, err = run_cli(capsys, "prepare", "mix", "--clean", str(tmp_path / "clean"), "--noise",
                         str(tmp_path / "noise"), "--snrs", "0,5,10,15", "--seed", "1", str(tmp_path / "mix"))
    assert rc == 0, err
    d = DataDir(tmp_path / "mix")
    for utt, snr in d.extra("utt2snr").items():
        noisy, sr = sf.read(d.wav_scp[utt])
        ref = sf.read(d.extra("spk1.scp")[utt])[0]
        assert measure_snr(ref, noisy - ref, sr) == pytest.approx(float(snr), abs=0.1)
        assert np.max(np.abs(noisy)) < 1.0
