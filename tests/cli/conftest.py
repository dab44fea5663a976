"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from audiogan.config import merge
from audiogan.tasks.segan import SEGANTask
from audiogan.train.trainer import Trainer

TINY_SEGAN = {
    "window": 1024,
    "g_fmaps": [4, 8, 8],
    "g_stride": 4,
    "z_dim": 4,
    "skip": "alpha",
    "d_fmaps": [4, 8, 8],
    "d_stride": 4,
    "d_norm": "batch",
    "d_phase_shift": 0,
    "d_head": "fc",
    "d_fc": [8],
}


@pytest.fixture
def work_in_tmp(tmp_path, monkeypatch):
    """Run the test in its own empty folder (for commands that write to the current directory)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    root = tmp_path_factory.mktemp("segan_ckpt")
    (root / "data").mkdir()
    x = 0.1 * np.random.default_rng(0).standard_normal(4000)
    sf.write(root / "n.wav", x, 16000)
    sf.write(root / "c.wav", 0.5 * x, 16000)
    (root / "data" / "wav.scp").write_text(f"u1 {root / 'n.wav'}\n")
    (root / "data" / "spk1.scp").write_text(f"u1 {root / 'c.wav'}\n")
    cfg = merge(
        SEGANTask.default_config(),
        {
            "model": TINY_SEGAN,
            "data": {"train_dir": str(root / "data")},
            "trainer": {
                "max_steps": 1,
                "batch_size": 2,
                "tensorboard": False,
                "progress": False,
                "device": "cpu",
            },
        },
    )
    cfg["task"] = "segan"
    Trainer(SEGANTask(cfg), root / "exp").fit()
    return root / "exp"
