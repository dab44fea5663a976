"""`audiogan score quality`: folder input, per-file table and mean, --json, --csv, notes, one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main
from audiogan.metrics.quality import dnsmos_available

needs_dnsmos = pytest.mark.skipif(not dnsmos_available(), reason="needs speechmos and onnxruntime")


@pytest.fixture(scope="module")
def folder(tmp_path_factory, harmonic_tone) -> Path:
    """clips/clean.wav (16 kHz mono) and clips/noisy.flac (44.1 kHz stereo, white noise at 0 dB SNR)."""
    root = tmp_path_factory.mktemp("quality") / "clips"
    root.mkdir()
    sf.write(root / "clean.wav", harmonic_tone(16000), 16000)
    x = harmonic_tone(44100)
    n = np.random.default_rng(0).standard_normal(x.size) * np.sqrt(np.mean(x**2))
    y = np.clip(x + n, -1, 1).astype(np.float32)
    sf.write(root / "noisy.flac", np.stack([y, y], axis=1), 44100)
    (root / "notes.txt").write_text("not audio, skipped in a folder\n")
    return root


def run_cli(args: list, capsys) -> tuple[int, str, str]:
    code = main(["score", "quality", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@needs_dnsmos
def test_folder_table_mean_json_csv_and_notes(folder, tmp_path, capsys):
    out_csv = tmp_path / "q.csv"
    code, out, err = run_cli([folder, "--json", "--csv", out_csv], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("DNSMOS P.835")
    assert lines[1].split() == ["SIG", "BAK", "OVRL", "P808"]
    assert [line.split()[0] for line in lines[2:5]] == ["clean.wav", "noisy.flac", "mean"]
    assert lines[5].startswith("2 file(s)")
    table = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in lines[2:5]}
    means = json.loads(lines[-1])
    assert set(means) == {"sig", "bak", "ovrl", "p808", "n_files"} and means["n_files"] == 2
    assert table["clean.wav"][1] > table["noisy.flac"][1] + 1.0  # BAK
    assert means["bak"] == pytest.approx((table["clean.wav"][1] + table["noisy.flac"][1]) / 2, abs=1e-3)
    assert table["mean"][2] == pytest.approx(means["ovrl"], abs=1e-3)
    assert "resampled from 44100 Hz to 16000 Hz for DNSMOS" in err
    assert "downmixed to mono" in err and "Traceback" not in err
    rows = list(csv.DictReader(out_csv.read_text().splitlines()))
    assert [Path(r["path"]).name for r in rows] == ["clean.wav", "noisy.flac"]
    assert rows[1]["sample_rate"] == "44100" and rows[1]["channels"] == "2"
    assert float(rows[0]["bak"]) == pytest.approx(table["clean.wav"][1], abs=1e-3)
    assert sorted(p.name for p in folder.iterdir()) == ["clean.wav", "noisy.flac", "notes.txt"]  # no CSV


@pytest.mark.parametrize("bad", ["missing", "text", "empty_folder", "csv_is_input"])
def test_bad_input_is_one_line_error(folder, tmp_path, capsys, bad):
    if bad == "missing":
        args = [tmp_path / "nope.wav"]
    elif bad == "text":
        (tmp_path / "fake.wav").write_text("not audio at all\n")
        args = [tmp_path / "fake.wav", folder / "clean.wav"]
    elif bad == "empty_folder":
        (tmp_path / "empty").mkdir()
        args = [tmp_path / "empty"]
    else:
        args = [folder, "--csv", folder / "clean.wav"]
    code, out, err = run_cli(args, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("audiogan: error: ") and "Traceback" not in err
    if bad == "text":
        assert "fake.wav" in err


# ------------------------------------------------- DNSMOS columns of `audiogan score enhancement`

@pytest.fixture(scope="module")
def enh(tmp_path_factory, harmonic_tone) -> Path:
    """ref/a.wav (the tone), est/a.wav (tone + noise at 20 dB SNR), noisy/a.wav (0 dB SNR), 16 kHz."""
    root = tmp_path_factory.mktemp("enh")
    x = harmonic_tone(16000)
    rng = np.random.default_rng(1)
    for sub, snr_db in (("ref", None), ("est", 20.0), ("noisy", 0.0)):
        (root / sub).mkdir()
        n = rng.standard_normal(x.size) * np.sqrt(np.mean(x**2) / 10 ** ((snr_db or 0) / 10))
        sf.write(root / sub / "a.wav", (x if snr_db is None else x + n).astype(np.float32), 16000)
    return root


def run_enh(enh: Path, extra: list, capsys, csv_path: Path) -> tuple[int, str, str, list[str]]:
    code = main(["score", "enhancement", "--ref", str(enh / "ref"), "--est", str(enh / "est"),
                 "--csv", str(csv_path), *map(str, extra)])
    out, err = capsys.readouterr()
    header = next(csv.reader(csv_path.read_text().splitlines())) if code == 0 else []
    return code, out, err, header


@needs_dnsmos
def test_enhancement_gets_dnsmos_columns(enh, tmp_path, capsys):
    code, out, err, header = run_enh(enh, ["--noisy", enh / "noisy", "--metrics", "si_sdr,dnsmos", "--json"],
                                     capsys, tmp_path / "s.csv")
    assert code == 0, err
    assert header[-8:] == ["si_sdr", "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl",
                           "noisy_si_sdr", "noisy_dnsmos_sig", "noisy_dnsmos_bak", "noisy_dnsmos_ovrl"]
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("DNSMOS P.835"))
    assert lines[i + 1].split() == ["SIG", "BAK", "OVRL"]
    assert lines[i + 2].startswith("noisy") and lines[i + 3].startswith("enhanced")
    means = json.loads(lines[-1])
    assert means["dnsmos_bak"] > means["noisy"]["dnsmos_bak"] + 0.5


def test_enhancement_without_speechmos_or_with_no_dnsmos(enh, tmp_path, capsys, monkeypatch):
    code, out, err, header = run_enh(enh, ["--no-dnsmos", "--metrics", "si_sdr"], capsys, tmp_path / "a.csv")
    assert code == 0 and "dnsmos" not in " ".join(header) + out + err
    from audiogan.metrics import quality

    monkeypatch.setattr(quality, "dnsmos_available", lambda: False)
    code, out, err, header = run_enh(enh, ["--metrics", "si_sdr,ssnr", "--json"], capsys, tmp_path / "b.csv")
    assert code == 0 and "dnsmos" not in " ".join(header) + out  # a subset without dnsmos: no note either
    assert err == ""
    code, out, err, header = run_enh(enh, [], capsys, tmp_path / "c.csv")  # all metrics: dnsmos wanted
    assert code == 0 and header[-1] == "si_sdr" and "DNSMOS" not in out
    assert err.count("\n") == 1 and "DNSMOS columns left out" in err and "'.[eval]'" in err
    code, out, err, header = run_enh(enh, ["--metrics", "dnsmos"], capsys, tmp_path / "d.csv")
    assert code == 2 and err.startswith("audiogan: error: DNSMOS needs") and err.count("\n") == 1
