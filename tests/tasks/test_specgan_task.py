"""SpecGAN task on the common trainer: spectrogram statistics, conditional training, checkpoint contents."""

import numpy as np
import pytest
import torch

from audiogan.config import load_config
from audiogan.errors import ConfigError
from audiogan.inference.loading import load_wavegan_model
from audiogan.models.specgan import BINS
from audiogan.tasks.specgan import SpecGANTask
from audiogan.train.trainer import Trainer
from tests.tasks.test_wavegan_task import tones


def tiny_specgan(tmp_path, *over):
    return load_config(
        SpecGANTask.default_config(),
        None,
        [
            f"data.train_dir={tmp_path / 'data'}",
            "model.dim=1",
            "trainer.batch_size=2",
            "trainer.n_critic=1",
            "trainer.max_steps=3",
            "trainer.save_interval=3",
            "trainer.eval_interval=3",
            "trainer.progress=false",
            "trainer.tensorboard=false",
            "eval.num_samples=2",
            "eval.griffin_lim_iters=2",
            *over,
        ],
    )


def test_conditional_specgan_trains_and_its_checkpoint_generates(tmp_path):
    tones(tmp_path / "data", per_label=3)
    torch.manual_seed(0)
    augment = "loss.diffaugment=shift,freq,gain,cutout"
    task = SpecGANTask(tiny_specgan(tmp_path, "model.num_classes=2", augment))
    Trainer(task, tmp_path / "exp").fit()
    assert task.spec_mean.shape == (BINS,) and bool((task.spec_std > 0).all())
    folder = tmp_path / "exp" / "samples" / "step-0000003"
    assert sorted(p.name for p in folder.glob("*.wav")) == ["sample_000_high.wav", "sample_001_low.wav"]
    model = load_wavegan_model(tmp_path / "exp")
    assert model.family == "specgan" and model.labels == ["high", "low"] and model.step == 3
    assert np.allclose(model.to_audio.mean.numpy(), task.spec_mean.numpy())
    spec = model.generator(torch.zeros(2, 100), torch.tensor([0, 1]))
    assert spec.shape == (2, 1, 128, 128)
    assert model.to_audio(spec).shape == (2, 1, 16384)


def test_specgan_real_input_is_normalised_spectrograms(tmp_path):
    tones(tmp_path / "data", per_label=2)
    task = SpecGANTask(tiny_specgan(tmp_path, "loss.gan=ns", "loss.gp_weight=0"))
    dataset = task.train_dataset()
    batch = {"audio": torch.stack([dataset[(i, 0)]["audio"] for i in range(3)])}
    x = task.real_input(batch)
    assert x.shape == (3, 1, 128, 128) and float(x.abs().max()) <= 1.0
    with pytest.raises(ConfigError, match="16000"):
        SpecGANTask(tiny_specgan(tmp_path, "data.sample_rate=8000"))
