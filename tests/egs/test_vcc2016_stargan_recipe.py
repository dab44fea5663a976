"""egs/vcc2016/stargan_vc2: the debug config runs stages 0..5 on AUDIOGAN_DATA's 4-speaker vcc2016 set: one
model for all speakers, both directions of the two evaluation pairs converted with --source/--target and
scored, and an inference-only export that knows every speaker."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "egs" / "vcc2016" / "stargan_vc2"


@pytest.mark.slow
def test_debug_recipe_end_to_end(tmp_path, data_root, copy_recipe) -> None:
    from audiogan.inference.loading import load_star_converter_model

    work = copy_recipe(RECIPE, tmp_path / "recipe")
    env = {**os.environ, "AUDIOGAN_DATA": str(data_root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["bash", "run.sh", "--conf", "conf/stargan_vc2.debug.yaml"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data, exp = work / "data" / "vcc2016_4", work / "exp" / "stargan_vc2.debug"
    assert sorted(p.name[6:] for p in data.glob("train_*")) == ["SF1", "SM1", "TF1", "TM1"]
    assert list((exp / "dev" / "step-4" / "SF1_to_TM1").glob("*.wav"))  # dev conversion during training
    for a, b in (("SF1", "TM1"), ("TM1", "SF1"), ("SM1", "TF1"), ("TF1", "SM1")):
        outs = sorted((exp / "convert" / f"test_{a}_to_{b}" / "wav").glob("*.wav"))
        assert len(outs) == 2, (a, b)
        x, sr = sf.read(outs[0])
        assert sr == 16000 and np.isfinite(x).all()
    results = (exp / "RESULTS.md").read_text()
    for title in ("StarGAN-VC2 (many-to-many) on VCC2016, SF1 <-> TM1", "## SF1 -> TM1", "## TF1 -> SM1",
                  "| unconverted SM1 |"):
        assert title in results
    model = load_star_converter_model(exp / "export" / "stargan_vc2.debug.pt")
    assert model.speakers == ["SF1", "TM1", "SM1", "TF1"] and set(model.stats) == set(model.speakers)
