"""recipes/steps/enhancement_results.py: RESULTS.md tables (overall, per SNR, band-limited set) and the
quality-target check, on small synthetic score CSVs."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "recipes" / "steps" / "enhancement_results.py"
_spec = importlib.util.spec_from_file_location("enhancement_results", SCRIPT)
er = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(er)

METRICS = ["pesq", "stoi", "estoi", "covl", "si_sdr", "dnsmos_ovrl"]
NOISY = {"pesq": 1.2, "stoi": 0.70, "estoi": 0.50, "covl": 1.8, "si_sdr": 2.0, "dnsmos_ovrl": 2.0}
UTTS = {"a1": "-5", "a2": "-5", "b1": "5", "b2": "5"}  # utterance -> SNR (dB)


def write_csv(path: Path, scores: dict[str, dict[str, float]], drop: tuple[str, ...] = ()) -> None:
    """A CSV shaped like `audiogan score enhancement --noisy --csv`'s."""
    metrics = [m for m in METRICS if m not in drop]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["key", "ref", "est", "noisy", "sample_rate", "pesq_mode", *metrics,
                    *(f"noisy_{m}" for m in metrics)])
        for u, s in scores.items():
            w.writerow([u, f"/r/{u}.wav", f"/e/{u}.wav", f"/n/{u}.wav", 16000, "wb",
                        *(s[m] for m in metrics), *(NOISY[m] for m in metrics)])


def make_run(tmp: Path, model_delta: dict[str, float], drop: tuple[str, ...] = ()) -> list[str]:
    """log-MMSE = noisy + 0.1 everywhere (STOI/ESTOI -0.02); the model = noisy + model_delta[snr]."""
    data = tmp / "data" / "test"
    data.mkdir(parents=True)
    (data / "utt2snr").write_text("".join(f"{u} {s}\n" for u, s in UTTS.items()))
    for split in ("test", "test_8k"):
        base = {u: {m: v + (-0.02 if "stoi" in m else 0.1) for m, v in NOISY.items()} for u in UTTS}
        model = {u: {m: v + model_delta[UTTS[u]] for m, v in NOISY.items()} for u in UTTS}
        write_csv(tmp / f"base/logmmse_{split}/scores.csv", base, drop)
        write_csv(tmp / f"exp/enhanced_{split}/scores.csv", model, drop)
    return ["--data", str(tmp / "data"), "--system", f"log-MMSE={tmp}/base/logmmse",
            "--model", f"ctf={tmp}/exp/enhanced", "test", "test_8k"]


def test_tables_and_target_met(tmp_path, capsys):
    assert er.main(make_run(tmp_path, {"-5": 0.2, "5": 0.4})) == 0
    out = capsys.readouterr().out
    assert "## `" in out and "4 utterances, all SNRs" in out and "test_8k`: 4 utterances" in out
    assert "### -5 dB SNR (2 utterances)" in out and "### 5 dB SNR (2 utterances)" in out
    assert out.index("### -5 dB") < out.index("### 5 dB")  # numeric SNR order
    assert "| PESQ | STOI | ESTOI | COVL | SI-SDR (dB) | DNSMOS OVRL |" in out
    assert "| noisy input | 1.200 | 0.700 | 0.500 | 1.800 | 2.000 | 2.000 |" in out  # from noisy_* columns
    assert "| log-MMSE | 1.300 | 0.680 | 0.480 |" in out
    assert "| ctf | 1.500 | 1.000 | 0.800 |" in out  # mean of -5 dB (+0.2) and 5 dB (+0.4)
    assert "| -5 | pass (1.400 vs 1.300) |" in out
    assert "Target **met**: all 10 checks pass (2 SNRs x 5 metrics)." in out


def test_a_miss_at_one_snr_fails_the_target(tmp_path, capsys):
    # at -5 dB the model is 0.05 above noisy: above log-MMSE on STOI-like metrics but below it on PESQ etc.
    assert er.main(make_run(tmp_path, {"-5": 0.05, "5": 0.4})) == 0
    out = capsys.readouterr().out
    assert "| -5 | **FAIL** (1.250 vs 1.300) |" in out
    assert ("Target **NOT met**: 3 of 10 checks fail (PESQ at -5 dB, COVL at -5 dB, DNSMOS OVRL at -5 dB)."
            in out)


def test_without_utt2snr_the_target_is_checked_on_the_whole_set(tmp_path, capsys):
    # a real noisy corpus (VoiceBank-DEMAND) has no utt2snr: one "all" row decides the verdict
    args = make_run(tmp_path, {"-5": 0.2, "5": 0.4})
    (tmp_path / "data" / "test" / "utt2snr").unlink()
    assert er.main(args) == 0
    out = capsys.readouterr().out
    assert "dB SNR" not in out and out.count("| all | pass") == 1
    assert "Target **met**: all 5 checks pass (all SNRs x 5 metrics)." in out


def test_missing_metric_is_not_verified_never_met(tmp_path, capsys):
    assert er.main(make_run(tmp_path, {"-5": 0.2, "5": 0.4}, drop=("dnsmos_ovrl",))) == 0
    out = capsys.readouterr().out
    assert "DNSMOS OVRL" not in out.split("## Quality target")[0]  # no empty column in the tables
    assert "Target **not verified**: no scores for DNSMOS OVRL." in out and "**met**" not in out


def test_baselines_only_and_errors(tmp_path, capsys):
    args = make_run(tmp_path, {"-5": 0.2, "5": 0.4})
    i = args.index("--model")
    assert er.main(args[:i] + args[i + 2:]) == 0
    out = capsys.readouterr().out
    assert "| log-MMSE |" in out and "| ctf |" not in out and "nothing to check" in out
    assert er.main([*args[:i], "--system", f"x={tmp_path}/nowhere", "test"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("enhancement_results.py: error: cannot read") and "\n" not in err
    with pytest.raises(SystemExit):
        er.main(["--system", "no-equals-sign", "test"])


def test_noisy_row_from_the_input_scored_once(tmp_path, capsys):
    """With --noisy the input's row is its own CSV (the input scored as the estimate), not noisy_* columns."""
    args = make_run(tmp_path, {"-5": 0.2, "5": 0.4})
    for split in ("test", "test_8k"):
        write_csv(tmp_path / f"base/noisy_{split}/scores.csv", {u: {**NOISY, "pesq": 1.11} for u in UTTS})
    assert er.main(["--noisy", f"{tmp_path}/base/noisy", *args]) == 0
    assert "| noisy input | 1.110 | 0.700 |" in capsys.readouterr().out
