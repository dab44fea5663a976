"""SpecGAN training task (``audiogan train specgan``): WaveGAN's sibling on 128 x 128 log-magnitude
spectrograms (:mod:`audiogan.models.specgan`), on the common adversarial trainer.

Everything but the representation is the WaveGAN task's (data, conditioning, losses, DiffAugment,
evaluation): real clips are turned into normalised spectrograms on the training device, the generator's
spectrograms go to D as they are, and evaluation inverts them to audio with Griffin-Lim. The per-bin mean
and standard deviation come from up to ``data.stats_clips`` training clips (centre windows, spread over the
sorted list, so a resumed run recomputes the same values) and are stored in the checkpoint's inference
state for ``audiogan generate``. Defaults are the paper's (WGAN-GP, 5 critic updates, Adam 1e-4, batch 64,
d = 64, 5x5 kernels).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from audiogan.data.clips import ClipDataset, load_clips_array, subset
from audiogan.errors import ConfigError
from audiogan.models.registry import build
from audiogan.models.specgan import SLICE_LEN, LogMagnitude, SpecInverter, bin_statistics, normalize
from audiogan.tasks.wavegan import PAPER, WaveGANTask
from audiogan.train.task import base_config


class SpecGANTask(WaveGANTask):
    name = "specgan"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(
            task=cls.name,
            model={
                "dim": 64,  # model size d (G and D)
                "latent_dim": 100,
                "kernel_size": 5,
                "batchnorm": False,
                "num_classes": 0,  # 0: unconditional; N: conditional on the training data's N labels
                "embed_dim": 32,  # size of the label embedding joined to z (conditional models)
                "labels": [],  # class names; filled from the training data when empty
            },
            data={
                "train_dir": "",  # data dir (wav.scp) or folder of audio files
                "sample_rate": 16000,  # the representation is the paper's at 16 kHz
                "normalize": False,  # true: scale each clip to peak 1
                "max_clips": 0,  # >0: N clips spread over the sorted list (debugging)
                "stats_clips": 2000,  # clips for the per-bin mean/std (0: all)
            },
            loss={
                "gan": "wgan-gp",
                "gp_weight": 10.0,
                "r1_weight": 0.0,
                "clip_weights": 0.0,
                "diffaugment": "",  # e.g. "shift,freq,gain,cutout" (gain: an offset on the log scale)
            },
            eval={
                "num_samples": 16,
                "seed": 0,
                "classifier": "",
                "is_samples": 500,
                "griffin_lim_iters": 32,  # Griffin-Lim iterations of the samples (and of `audiogan generate`)
            },
            trainer={
                "batch_size": 64,
                "n_critic": 5,
                "max_steps": 200000,
                "save_interval": 1000,
                "eval_interval": 1000,
            },
            optim={"generator": dict(PAPER), "discriminator": dict(PAPER)},
        )

    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        return build("specgan", config, discriminators=True)

    def __init__(self, config: dict[str, Any]):
        if config["data"]["sample_rate"] != 16000:
            raise ConfigError("data.sample_rate must be 16000 for SpecGAN (its 128 x 128 representation)")
        super().__init__(config)
        self.log_magnitude = LogMagnitude()
        self.spec_mean: Tensor | None = None
        self.spec_std: Tensor | None = None

    def slice_len(self) -> int:
        return SLICE_LEN

    def train_dataset(self) -> ClipDataset:
        dataset = super().train_dataset()
        if self.spec_mean is None:
            self._fit_statistics(dataset.clips)
        return dataset

    def _fit_statistics(self, clips: list) -> None:
        n = self.config["data"]["stats_clips"]
        audio = load_clips_array(subset(clips, n), self.config["data"]["sample_rate"], SLICE_LEN)
        with torch.no_grad():
            mags = torch.cat([self.log_magnitude(torch.from_numpy(audio[i : i + 256]).float())
                              for i in range(0, len(audio), 256)])
        self.spec_mean, self.spec_std = bin_statistics(mags)

    def real_input(self, batch: dict[str, Tensor]) -> Tensor:
        """``batch["audio"]: Tensor[B, 1, 16384] -> Tensor[B, 1, 128, 128]``, normalised, in [-1, 1]."""
        if self.spec_mean is None:
            raise RuntimeError("SpecGAN's spectrogram statistics are not computed yet (train_dataset first)")
        self.log_magnitude = self.log_magnitude.to(self.device)
        mean, std = self.spec_mean.to(self.device), self.spec_std.to(self.device)
        with torch.no_grad():
            return normalize(self.log_magnitude(batch["audio"]), mean, std)

    def to_audio(self) -> nn.Module | None:
        return SpecInverter(self.spec_mean, self.spec_std, self.config["eval"]["griffin_lim_iters"])

    def inference_state(self) -> dict[str, Any]:
        state = super().inference_state()
        state["spec_mean"] = np.asarray(self.spec_mean).tolist() if self.spec_mean is not None else []
        state["spec_std"] = np.asarray(self.spec_std).tolist() if self.spec_std is not None else []
        state["griffin_lim_iters"] = int(self.config["eval"]["griffin_lim_iters"])
        return state
