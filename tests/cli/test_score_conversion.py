"""`audiogan score conversion`: pairing by name, CSV/table/JSON output, baseline rows, user errors."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main

SR = 16000


# the default per-file CSV goes to the current directory: keep it out of the checkout
pytestmark = pytest.mark.usefixtures("work_in_tmp")


def voiced(f0: float, dur: float = 0.4, formant: float = 700.0, seed: int = 0) -> np.ndarray:
    """Vowel-like harmonic signal ``[T]`` (3 Hz vibrato so F0 correlation is defined)."""
    t = np.arange(int(dur * SR)) / SR
    f = f0 * (1 + 0.05 * np.sin(2 * np.pi * 3.0 * t))
    phase = 2 * np.pi * np.cumsum(f) / SR
    x = np.zeros_like(t)
    for k in range(1, int(SR / 2 / (1.05 * f0))):
        amp = (
            0.02
            + np.exp(-0.5 * ((k * f0 - formant) / 120) ** 2)
            + 0.4 * np.exp(-0.5 * ((k * f0 - 2400) / 250) ** 2)
        )
        x += amp * np.sin(k * phase) / np.sqrt(k)
    x = 0.3 * x / np.abs(x).max()
    return x + 1e-4 * np.random.default_rng(seed).standard_normal(x.size)


def _write(path: Path, x: np.ndarray, sr: int = SR) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.asarray(x, dtype=np.float32).T, sr, subtype="FLOAT")
    return path


@pytest.fixture()
def dirs(tmp_path):
    """ref/ (target), est/ (= ref at half level: a perfect conversion), src/ (octave up, other formant)."""
    for i, (name, f0) in enumerate((("u1", 110.0), ("u2", 130.0))):
        ref = voiced(f0, seed=i)
        _write(tmp_path / "ref" / f"{name}.wav", ref)
        _write(tmp_path / "est" / f"{name}.wav", 0.5 * ref)
        _write(tmp_path / "src" / f"{name}.wav", voiced(2 * f0, formant=1000.0, seed=i))
    return tmp_path


def _run(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(["score", "conversion", "--no-progress", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_folders_with_baseline_json_and_default_csv(dirs, capsys, monkeypatch):
    monkeypatch.chdir(dirs)
    rc, out, _ = _run(
        capsys, "--ref", str(dirs / "ref"), "--est", str(dirs / "est"), "--src", str(dirs / "src"), "--json"
    )
    assert rc == 0
    res = json.loads(out.strip().splitlines()[-1])
    assert res["n_files"] == 2 and res["source"]["n_files"] == 2
    assert res["mcd"] < 0.05 and res["f0_rmse"] < 0.5 and res["vuv_error"] == 0.0
    assert res["f0_corr"] == pytest.approx(1.0, abs=1e-6)
    src = res["source"]
    assert src["mcd"] > 2.0 and src["f0_rmse"] == pytest.approx(120.0, rel=0.1)
    assert "converted" in out and "source (baseline)" in out
    assert "MCD all [dB]" in out and "MCD speech [dB]" in out
    assert res["mcd_speech"] < 0.05 and src["mcd_speech"] > 2.0

    rows = list(csv.DictReader(open(dirs / "est.scores.csv")))
    assert [r["name"] for r in rows] == ["u1", "u2"]
    assert {"mcd", "f0_rmse", "f0_rmse_cents", "f0_corr", "vuv_error", "n_frames", "src_mcd",
            "mcd_speech", "n_speech_frames", "src_mcd_speech"} <= set(rows[0])
    assert np.mean([float(r["src_mcd"]) for r in rows]) == pytest.approx(src["mcd"], rel=1e-5)


def test_parallel_jobs_give_the_same_scores(dirs, capsys):
    args = ["--ref", str(dirs / "ref"), "--est", str(dirs / "src"), "--json", "--csv", "none"]
    _, serial, _ = _run(capsys, *args)
    _, parallel, _ = _run(capsys, *args, "--jobs", "2")
    assert json.loads(serial.splitlines()[-1]) == json.loads(parallel.splitlines()[-1])


def test_csv_to_stdout_and_to_a_path(dirs, capsys):
    rc, out, _ = _run(capsys, "--ref", str(dirs / "ref"), "--est", str(dirs / "est"), "--csv", "-")
    assert rc == 0 and out.startswith("name,ref,est,mcd,")
    assert not (dirs / "est.scores.csv").exists()
    target = dirs / "out" / "scores.csv"
    rc, out, _ = _run(capsys, "--ref", str(dirs / "ref"), "--est", str(dirs / "est"), "--csv", str(target))
    assert rc == 0 and len(target.read_text().splitlines()) == 3 and str(target) in out


def test_two_files_are_paired_whatever_their_names(dirs, capsys):
    rc, out, _ = _run(
        capsys,
        "--ref",
        str(dirs / "ref" / "u1.wav"),
        "--est",
        str(dirs / "src" / "u2.wav"),
        "--json",
        "--csv",
        "none",
    )
    assert rc == 0
    assert json.loads(out.splitlines()[-1])["n_files"] == 1


def test_unmatched_names_fail_unless_allowed(dirs, capsys):
    os.rename(dirs / "est" / "u2.wav", dirs / "est" / "other.wav")
    rc, _, err = _run(capsys, "--ref", str(dirs / "ref"), "--est", str(dirs / "est"))
    assert (
        rc == 2 and err.startswith("audiogan: error:") and err.count("\n") == 1 and "--allow-missing" in err
    )
    rc, out, err = _run(
        capsys, "--ref", str(dirs / "ref"), "--est", str(dirs / "est"), "--allow-missing", "--json"
    )
    assert rc == 0 and "warning" in err and json.loads(out.splitlines()[-1])["n_files"] == 1


@pytest.mark.parametrize(
    "damage, msg",
    [
        (lambda d: (d / "est" / "u1.wav").write_bytes(b"RIFF....garbage" * 10), "u1.wav"),
        (lambda d: _write(d / "est" / "u1.wav", np.stack([voiced(110.0)] * 2)), "2 channels"),
        (lambda d: _write(d / "est" / "u1.wav", voiced(110.0, dur=0.02)), "too short"),
        (lambda d: os.remove(d / "src" / "u2.wav"), "no source"),
    ],
)
def test_bad_inputs_give_one_line_errors(dirs, capsys, damage, msg):
    damage(dirs)
    rc, _, err = _run(
        capsys, "--ref", str(dirs / "ref"), "--est", str(dirs / "est"), "--src", str(dirs / "src")
    )
    assert rc == 2
    assert err.startswith("audiogan: error:") and err.count("\n") == 1 and msg in err


def test_csv_never_overwrites_an_input(dirs, capsys):
    victim = dirs / "ref" / "u1.wav"
    before = victim.read_bytes()
    rc, _, err = _run(capsys, "--ref", str(dirs / "ref"), "--est", str(dirs / "est"), "--csv", str(victim))
    assert rc == 2 and "refusing to overwrite" in err and victim.read_bytes() == before


def test_real_speech_source_baseline(tmp_path, capsys, data_root):
    root = data_root
    ref, src = root / "vcc2016" / "TM1" / "100002.flac", root / "vcc2016" / "SF1" / "100002.flac"
    rc, out, _ = _run(
        capsys,
        "--ref",
        str(ref),
        "--est",
        str(ref),
        "--src",
        str(src),
        "--json",
        "--csv",
        str(tmp_path / "s.csv"),
    )
    assert rc == 0
    res = json.loads(out.splitlines()[-1])
    assert res["mcd"] == 0.0 and res["f0_rmse"] == 0.0
    assert 6.0 < res["source"]["mcd"] < 12.0 and res["source"]["f0_rmse"] > 50.0
