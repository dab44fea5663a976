"""`audiogan score enhancement`: pairing, CSV, mean table, --json, --noisy, notes and one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import lfilter

from audiogan.cli import main

# the default per-file CSV goes to the current directory: keep it out of the checkout
pytestmark = pytest.mark.usefixtures("work_in_tmp")


def speechlike(sr: int = 16000, seconds: float = 1.5, seed: int = 0) -> np.ndarray:
    """Voiced, formant-filtered, syllable-gated tone complex with a faint noise floor."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    phase = 2 * np.pi * np.cumsum(140 + 30 * np.sin(2 * np.pi * 0.7 * t + seed)) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 40) if k * 170 < sr / 2)
    for fc, bw in ((500, 80), (1500, 120), (2500, 200)):
        r, th = np.exp(-np.pi * bw / sr), 2 * np.pi * fc / sr
        y = lfilter([1 - r], [1, -2 * r * np.cos(th), r * r], y)
    gate = (np.sin(2 * np.pi * 2.5 * t) > -0.3).astype(float)
    env = np.convolve(gate, np.hanning(sr // 40) / (sr // 80), "same")
    env[: int(0.15 * sr)] = 0
    env[-int(0.15 * sr):] = 0
    x = y * env
    return (0.3 * x / np.abs(x).max() + 1e-4 * rng.standard_normal(t.size)).astype(np.float32)


def noisy(x: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    n = np.random.default_rng(seed).standard_normal(x.size)
    return (x + n * np.sqrt(np.sum(x**2) / np.sum(n**2) / 10 ** (snr_db / 10))).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """clean/, enh/ (20 dB SNR), noisy/ (0 dB SNR) with three utterances each, 16 kHz."""
    root = tmp_path_factory.mktemp("enh")
    for i in range(3):
        x = speechlike(seed=i)
        for sub, y in (("clean", x), ("enh", noisy(x, 20, 10 + i)), ("noisy", noisy(x, 0, 20 + i))):
            (root / sub).mkdir(exist_ok=True)
            sf.write(root / sub / f"utt{i}.wav", y, 16000)
    return root


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(["score", "enhancement", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_folders_with_noisy_json_table_and_csv(corpus, tmp_path, capsys):
    out_csv = tmp_path / "s.csv"
    code, out, err = run_cli(["--ref", corpus / "clean", "--est", corpus / "enh", "--noisy", corpus / "noisy",
                              "--csv", out_csv, "--json"], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("PESQ wideband")
    assert lines[1].split() == ["PESQ", "STOI", "ESTOI", "CSIG", "CBAK", "COVL", "SSNR", "SI-SDR"]
    assert lines[2].startswith("noisy") and lines[3].startswith("enhanced")
    means = json.loads(lines[-1])
    assert means["n_files"] == 3 and means["pesq_mode"] == "wb"
    assert means["si_sdr"] == pytest.approx(20.0, abs=0.5)
    assert means["noisy"]["si_sdr"] == pytest.approx(0, abs=0.5)
    for m in ("pesq", "stoi", "estoi", "cbak", "ssnr", "si_sdr"):
        assert means[m] > means["noisy"][m], m
    rows = list(csv.DictReader(out_csv.read_text().splitlines()))
    assert [r["key"] for r in rows] == ["utt0", "utt1", "utt2"]
    assert rows[0]["noisy"].endswith("noisy/utt0.wav") and rows[0]["pesq_mode"] == "wb"
    assert np.mean([float(r["pesq"]) for r in rows]) == pytest.approx(means["pesq"], abs=1e-3)
    assert "noisy_pesq" in rows[0]


def test_default_csv_in_the_current_directory_and_metric_subset(corpus, tmp_path, capsys, monkeypatch):
    est = tmp_path / "enhanced"
    est.mkdir()
    for f in (corpus / "enh").iterdir():
        (est / f.name).write_bytes(f.read_bytes())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = run_cli(["--ref", corpus / "clean", "--est", est, "--metrics", "si_sdr,pesq"], capsys)
    assert code == 0, err
    assert out.splitlines()[1].split() == ["PESQ", "SI-SDR"]  # canonical order
    assert not (tmp_path / "enhanced.scores.csv").exists()  # nothing written beside the inputs
    header = next(csv.reader((work / "enhanced.scores.csv").read_text().splitlines()))
    assert header == ["key", "ref", "est", "sample_rate", "pesq_mode", "pesq", "si_sdr"]
    assert "{" not in out  # no --json


def test_data_dirs_use_spk1_for_reference(corpus, tmp_path, capsys):
    d = tmp_path / "data" / "test"
    d.mkdir(parents=True)
    (d / "wav.scp").write_text("".join(f"u{i} {corpus}/noisy/utt{i}.wav\n" for i in range(3)))
    (d / "spk1.scp").write_text("".join(f"u{i} {corpus}/clean/utt{i}.wav\n" for i in range(3)))
    est = tmp_path / "enh"
    est.mkdir()
    for i in range(3):
        (est / f"u{i}.wav").write_bytes((corpus / "enh" / f"utt{i}.wav").read_bytes())
    args = ["--ref", d, "--est", est, "--noisy", d, "--metrics", "si_sdr", "--json"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    means = json.loads(out.splitlines()[-1])
    assert means["si_sdr"] == pytest.approx(20.0, abs=0.5)  # clean spk1.scp was the reference
    assert means["noisy"]["si_sdr"] == pytest.approx(0.0, abs=0.5)  # wav.scp was the noisy input
    code, out, err = run_cli([*args, "--ref-scp", "wav.scp"], capsys)
    assert json.loads(out.splitlines()[-1])["noisy"]["si_sdr"] > 100  # noisy against itself


def test_unmatched_files_fail_unless_allowed(corpus, tmp_path, capsys):
    est = tmp_path / "enh"
    est.mkdir()
    (est / "utt0.wav").write_bytes((corpus / "enh" / "utt0.wav").read_bytes())
    code, out, err = run_cli(["--ref", corpus / "clean", "--est", est], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("audiogan: error: ") and "2 in REF" in err
    assert "Traceback" not in err
    code, out, err = run_cli(["--ref", corpus / "clean", "--est", est, "--allow-missing", "--metrics", "ssnr",
                              "--json"], capsys)
    assert code == 0 and json.loads(out.splitlines()[-1])["n_files"] == 1
    assert "audiogan: warning:" in err


@pytest.mark.parametrize("bad", ["empty", "text", "nan", "short"])
def test_bad_audio_is_one_line_error(corpus, tmp_path, capsys, bad):
    est = tmp_path / "enh"
    est.mkdir()
    for i in range(3):
        (est / f"utt{i}.wav").write_bytes((corpus / "enh" / f"utt{i}.wav").read_bytes())
    target = est / "utt1.wav"
    if bad == "empty":
        target.write_bytes(b"")
    elif bad == "text":
        target.write_text("not audio at all\n")
    elif bad == "nan":
        x = np.full(16000, 0.1, dtype=np.float32)
        x[100] = np.nan
        sf.write(target, x, 16000, subtype="FLOAT")
    else:
        sf.write(target, np.full(1600, 0.1, dtype=np.float32), 16000)  # 0.1 s
    code, out, err = run_cli(["--ref", corpus / "clean", "--est", est], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("audiogan: error: ") and "utt1.wav" in err
    assert not (tmp_path / "enh.scores.csv").exists()


def test_unwritable_csv_location_fails_before_scoring(corpus, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code, _, err = run_cli(["--ref", corpus / "clean", "--est", corpus / "enh", "--csv", blocker / "s.csv"],
                           capsys)
    assert code == 2 and err.startswith("audiogan: error: --csv") and "cannot write there" in err
    assert "[Errno" not in err and "scoring" not in err


def test_stereo_other_rate_and_length_give_notes(corpus, tmp_path, capsys):
    import torch
    import torchaudio.functional as AF

    est = tmp_path / "enh"
    est.mkdir()
    x0, _ = sf.read(corpus / "enh" / "utt0.wav", dtype="float32")
    x1, _ = sf.read(corpus / "enh" / "utt1.wav", dtype="float32")
    x2, _ = sf.read(corpus / "enh" / "utt2.wav", dtype="float32")
    sf.write(est / "utt0.wav", np.stack([x0, x0], axis=1), 16000)
    sf.write(est / "utt1.flac", AF.resample(torch.from_numpy(x1), 16000, 22050).numpy(), 22050)
    sf.write(est / "utt2.wav", x2[:-800], 16000)  # 50 ms short
    code, out, err = run_cli(["--ref", corpus / "clean", "--est", est, "--metrics", "si_sdr", "--json"],
                             capsys)
    assert code == 0, err
    assert "downmixed to mono" in err and "resampled to the reference rate" in err and "50 ms shorter" in err
    assert json.loads(out.splitlines()[-1])["si_sdr"] == pytest.approx(20.0, abs=1.0)


def test_narrowband_reference_is_announced(tmp_path, capsys):
    for sub in ("clean", "enh"):
        (tmp_path / sub).mkdir()
    x = speechlike(sr=8000)
    sf.write(tmp_path / "clean" / "a.wav", x, 8000)
    sf.write(tmp_path / "enh" / "a.wav", noisy(x, 10, 1), 8000)
    code, out, err = run_cli(["--ref", tmp_path / "clean", "--est", tmp_path / "enh",
                              "--metrics", "pesq,csig", "--json"], capsys)
    assert code == 0, err
    assert "PESQ narrowband (8 kHz reference)" in out
    assert json.loads(out.splitlines()[-1])["pesq_mode"] == "nb"


def test_jobs_give_the_same_scores(corpus, tmp_path, capsys):
    args = ["--ref", corpus / "clean", "--est", corpus / "enh", "--metrics", "pesq,ssnr", "--json"]
    _, out1, _ = run_cli([*args, "--csv", tmp_path / "a.csv"], capsys)
    code, out2, err = run_cli([*args, "--csv", tmp_path / "b.csv", "--jobs", "2"], capsys)
    assert code == 0, err
    assert json.loads(out1.splitlines()[-1]) == json.loads(out2.splitlines()[-1])
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


def test_refuses_to_overwrite_an_input_and_bad_options(corpus, capsys):
    ref, est = corpus / "clean" / "utt0.wav", corpus / "enh" / "utt0.wav"
    before = est.read_bytes()
    code, _, err = run_cli(["--ref", ref, "--est", est, "--csv", est], capsys)
    assert code == 2 and "refusing to overwrite" in err and est.read_bytes() == before
    with pytest.raises(SystemExit) as e:
        run_cli(["--ref", ref, "--est", est, "--metrics", "pesq,mos"], capsys)
    assert e.value.code == 2 and "unknown metric 'mos'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_cli(["--ref", ref, "--est", est, "--jobs", "0"], capsys)
    code, _, err = run_cli(["--ref", corpus / "clean", "--est", est], capsys)
    assert code == 2 and "all files or all folders" in err
