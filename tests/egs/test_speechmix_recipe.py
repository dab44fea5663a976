"""egs/speechmix/ctfgan: the debug config runs stages 0-6 of recipes/templates/enhance.sh end to end on
AUDIOGAN_DATA and writes RESULTS.md with the target check; a second run reuses the baselines.

Kept small for CI (scoring with DNSMOS dominates): 2 utterances per split, one job, the main test set only
(tests/recipes/test_enhancement_results.py covers the band-limited set's table) and, of the baselines,
log-MMSE only (noisereduce runs the same `denoise --baseline` path, the SEGAN built-in the same `denoise -m`
path as the model). Stage -1 is left out: it installs and decodes ~2,800 asterisk prompts (minutes);
without them stage 0 prepares VCC2016-only speech, which is what this smoke test needs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "egs" / "speechmix" / "ctfgan"
DEBUG_CONF = RECIPE / "conf" / "ctfgan.debug.yaml"

pytestmark = pytest.mark.slow


def run(work: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    small = ["--max_utts", "2", "--nj", "1", "--test_sets", "test"]
    return subprocess.run(["bash", "run.sh", "--conf", "conf/ctfgan.debug.yaml", *small, *args],
                          cwd=work, env=env, capture_output=True, text=True, timeout=900)


def test_debug_recipe_end_to_end(tmp_path, data_root, copy_recipe, monkeypatch):
    if not DEBUG_CONF.is_file():
        pytest.fail(f"{DEBUG_CONF.relative_to(ROOT)} is missing: the recipe's CI config")
    monkeypatch.setenv("AUDIOGAN_DATA", str(data_root))
    work = copy_recipe(RECIPE, tmp_path / "recipe")
    proc = run(work, "--stage", "0", "--systems", "logmmse model")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    exp, data, base = work / "exp" / "ctfgan.debug", work / "data" / "sub2", work / "exp" / "baselines_sub2"
    results = (exp / "RESULTS.md").read_text()
    for row in ("| noisy input |", "| log-MMSE |", "| ctfgan.debug |"):
        assert row in results, row
    assert "dB SNR" in results and "DNSMOS OVRL" in results and "ESTOI" in results and "COVL" in results
    assert "## Quality target" in results and "Target **" in results
    noisy = sorted((data / "test" / "audio" / "noisy").glob("*.wav"))
    assert noisy
    for system_dir in (exp / "enhanced_test", base / "logmmse_test"):
        for f in noisy:
            assert sf.info(str(system_dir / "wav" / f.name)).frames == sf.info(str(f)).frames, system_dir
    assert (exp / "export" / "ctfgan.debug.pt").is_file()  # stage 5
    page = (exp / "report" / "index.html").read_text()  # stage 6: noisy, log-MMSE, model, clean
    assert page.count("<audio ") == len(noisy) * 4

    # a second model's run on the same data reuses the baselines: nothing is enhanced or scored again
    stamp = (base / "logmmse_test" / "scores.csv").stat().st_mtime_ns
    proc = run(work, "--stage", "2", "--stop-stage", "4", "--systems", "logmmse")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "reused" in proc.stdout and "stage 2: enhance" not in proc.stdout
    assert (base / "logmmse_test" / "scores.csv").stat().st_mtime_ns == stamp
    assert "nothing to check" in (exp / "RESULTS.md").read_text()  # baselines only
