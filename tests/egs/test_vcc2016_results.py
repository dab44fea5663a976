"""egs/vcc2016/cyclegan_vc2/local/results.py: the RESULTS.md tables with the unconverted, GMM and extra
system rows (experiment dirs or {a}/{b} score templates) and issue 20's target check per system, on small
synthetic score summaries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "egs" / "vcc2016" / "cyclegan_vc2" / "local" / "results.py"
SOURCE = {"mcd": 8.7, "mcd_speech": 9.7, "f0_rmse": 113.0, "f0_rmse_cents": 900.0, "f0_corr": 0.35,
          "vuv_error": 0.13}


def summary(mcd_speech: float, f0_rmse: float, n: int = 44) -> dict:
    """A summary shaped like `audiogan score conversion --json`'s."""
    return {"n_files": n, "mcd": mcd_speech - 0.5, "mcd_speech": mcd_speech, "f0_rmse": f0_rmse,
            "f0_rmse_cents": 300.0, "f0_corr": 0.3, "vuv_error": 0.15, "source": SOURCE}


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def experiment(root: Path, mcd_speech: float, f0_rmse: float = 30.0, n: int = 44) -> Path:
    for a, b in (("SF1", "TM1"), ("TM1", "SF1")):
        path = root / "convert" / f"test_{a}_to_{b}" / "scores_conversion.json"
        write(path, summary(mcd_speech, f0_rmse, n))
    return root


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_extra_systems_rows_and_per_system_target(tmp_path) -> None:
    exp = experiment(tmp_path / "exp", 9.1)
    gmm = experiment(tmp_path / "gmm", 6.5)
    for a, b in (("SF1", "TM1"), ("TM1", "SF1")):  # a system kept as committed summaries, not an exp dir
        write(tmp_path / "results" / f"old_test_{a}_to_{b}.json", summary(6.0, 30.0))
    proc = run(str(exp), "conf/x.yaml", "SF1", "TM1", "--gmm", str(gmm), "--name", "full set, step 3,000",
               "--system", f"old built-in={tmp_path}/results/old_test_{{a}}_to_{{b}}.json")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    table = out.split("## TM1 -> SF1")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    names = [r.split(" | ")[0][2:] for r in rows]
    assert names == ["unconverted SF1", "GMM (parallel)", "full set, step 3,000", "old built-in"]
    assert "| 6.000 |" in rows[-1]
    # the target per system: 3.7 dB gain and 0.5 dB below the GMM meet it, 0.6 dB gain does not
    assert "| old built-in | SF1 -> TM1 | MCD speech frames below the GMM's (dB) | 0.500 | yes |" in out
    assert ("| full set, step 3,000 | TM1 -> SF1 | MCD gain, speech frames (dB) >= 1.5 | 0.600 | **no** |"
            in out)
    assert "- old built-in: target met in both directions." in out
    assert "- full set, step 3,000: target NOT met" in out


def test_missing_or_mismatched_system_is_an_error(tmp_path) -> None:
    exp = experiment(tmp_path / "exp", 9.1)
    proc = run(str(exp), "c.yaml", "SF1", "TM1", "--system", f"gone={tmp_path}/nowhere")
    assert proc.returncode != 0 and "no scores for gone" in proc.stderr
    other = experiment(tmp_path / "other", 8.0, n=5)
    proc = run(str(exp), "c.yaml", "SF1", "TM1", "--system", f"dev-set run={other}")
    assert proc.returncode != 0 and "not the same test set" in proc.stderr
    proc = run(str(exp), "c.yaml", "SF1", "TM1", "--system", "no-equals-sign")
    assert proc.returncode == 2 and "NAME=SCORES" in proc.stderr


def test_experiment_given_as_kept_summaries(tmp_path) -> None:
    """The table rebuilt from summaries kept in the repo: no experiment dir, so no training line."""
    for a, b in (("SF1", "TM1"), ("TM1", "SF1")):
        write(tmp_path / f"run_test_{a}_to_{b}.json", summary(7.5, 30.0))
    proc = run(f"{tmp_path}/run_test_{{a}}_to_{{b}}.json", "c.yaml", "SF1", "TM1", "--mcd-gain", "2.0")
    assert proc.returncode == 0, proc.stderr
    assert "- training:" not in proc.stdout
    assert "| converted | SF1 -> TM1 | MCD gain, speech frames (dB) >= 2 | 2.200 | yes |" in proc.stdout
