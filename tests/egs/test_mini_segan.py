"""egs/mini/segan: the debug config runs stages 0-4 end to end on AUDIOGAN_DATA and writes RESULTS.md."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "egs" / "mini" / "segan"

pytestmark = pytest.mark.slow


def test_debug_recipe_end_to_end(tmp_path, data_root, copy_recipe):
    work = copy_recipe(RECIPE, tmp_path / "recipe")
    env = {**os.environ, "AUDIOGAN_DATA": str(data_root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        ["bash", "run.sh", "--conf", "conf/segan.debug.yaml", "--nj", "1"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    exp = work / "exp" / "segan.debug"
    results = (exp / "RESULTS.md").read_text()
    assert "| noisy input |" in results and "| segan.debug |" in results and "PESQ" in results
    assert "| log-MMSE |" in results and "test_8k" in results and "## Quality target" in results
    assert "| noisereduce |" in results and "ctfgan built-in" in results  # the same rows in every recipe
    assert "DNSMOS OVRL" in results
    assert (exp / "export" / "segan.debug.pt").is_file()  # stage 5: the inference-only copy
    noisy = sorted((work / "data" / "sub4" / "test" / "audio" / "noisy").glob("*.wav"))
    assert len(noisy) == 4
    for f in noisy:
        out = exp / "enhanced_test" / "wav" / f.name
        assert sf.info(str(out)).frames == sf.info(str(f)).frames
    assert (exp / "best.pt").is_file()
    page = (exp / "report" / "index.html").read_text()  # stage 6: the listening page
    # 4 test utterances x (noisy, log-MMSE, noisereduce, the ctfgan built-in, the model, clean)
    assert page.count("<audio ") == 4 * 6 and "PESQ" in page


def test_voicebank_stage0_from_a_local_copy(tmp_path, copy_recipe):
    """A local 48 kHz copy (--db_root) is resampled and split into train/dev/test data dirs; no download."""
    import numpy as np

    db = tmp_path / "db"
    rng = np.random.default_rng(0)
    for part, spks in (("trainset_28spk", ("p226", "p230", "p287")), ("testset", ("p232",))):
        for spk in spks:
            for k in (1, 2):
                clean = 0.2 * np.sin(2 * np.pi * 200 * np.arange(4800) / 48000)
                for kind, x in (("clean", clean), ("noisy", clean + 0.05 * rng.standard_normal(4800))):
                    d = db / f"{kind}_{part}_wav"
                    d.mkdir(parents=True, exist_ok=True)
                    sf.write(d / f"{spk}_{k:03d}.wav", x, 48000, subtype="PCM_16")
    work = copy_recipe(ROOT / "egs" / "voicebank_demand" / "segan", tmp_path / "recipe")
    proc = subprocess.run(["bash", "run.sh", "--stage", "0", "--stop-stage", "0", "--db_root", str(db)],
                          cwd=work, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    utts = {s: (work / "data" / s / "wav.scp").read_text().split("\n")[:-1] for s in ("train", "dev", "test")}
    assert [len(v) for v in utts.values()] == [2, 4, 2]  # p230 trains; p226 and p287 are the dev speakers
    assert all(line.split()[0].startswith("p230") for line in utts["train"])
    wav = (work / "data" / "train" / "spk1.scp").read_text().split()[1]
    assert sf.info(wav).samplerate == 16000 and "dump/wav16k/clean_trainset_28spk_wav" in wav
