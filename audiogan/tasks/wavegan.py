"""WaveGAN training task (``audiogan train wavegan``) on the common adversarial trainer.

Defaults are the paper's: WGAN-GP with lambda 10, 5 critic updates per generator update, Adam 1e-4 with
betas (0.5, 0.9), batch 64, 16384-sample slices at 16 kHz, phase shuffle 2, d = 64. Other adversarial
losses of the loss zoo (``loss.gan``) and R1 / weight clipping are available by config.

Every ``trainer.eval_interval`` steps ``evaluate`` writes a fixed-latent batch of samples (wavs and a
spectrogram grid PNG) to ``EXP/samples/step-<N>/`` and TensorBoard; with ``eval.classifier`` set to a
classifier checkpoint it also reports the Inception Score of ``eval.is_samples`` generated clips.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from audiogan.data.clips import ClipDataset, list_clips, subset
from audiogan.errors import ConfigError
from audiogan.models.registry import build
from audiogan.nn.losses import clip_weights, get_gan_loss, gradient_penalty, r1_penalty
from audiogan.train.task import AdversarialTask, base_config

PAPER = {"lr": 1e-4, "betas": [0.5, 0.9]}


class WaveGANTask(AdversarialTask):
    name = "wavegan"
    generators = ("generator",)
    discriminators = ("discriminator",)
    best_metric = "inception_score"  # only reported when eval.classifier is set
    best_mode = "max"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(
            task=cls.name,
            model={
                "slice_len": 16384,  # 16384, 32768 or 65536
                "dim": 64,  # model size d (G and D)
                "latent_dim": 100,
                "kernel_size": 25,
                "upsample": "zeros",  # zeros (transposed conv) | nn (nearest upsample + conv)
                "batchnorm": False,
                "post_proc_taps": 0,  # 512: the reference's learned post-processing filter; 0: off
                "phase_shuffle": 2,
            },
            data={
                "train_dir": "",  # data dir (wav.scp) or folder of audio files
                "sample_rate": 16000,
                "normalize": False,  # true: scale each clip to peak 1 (the reference's --data_normalize)
                "max_clips": 0,  # >0: N clips spread over the sorted list (debugging)
            },
            loss={
                "gan": "wgan-gp",  # any of audiogan.nn.losses.GAN_LOSSES
                "gp_weight": 10.0,  # WGAN-GP lambda (used when > 0)
                "r1_weight": 0.0,  # R1 gamma (penalty gamma/2 * ||grad D(x)||^2 on real data)
                "clip_weights": 0.0,  # > 0: original WGAN weight clipping of D after each update
            },
            eval={
                "num_samples": 16,  # fixed-latent samples written each evaluation
                "seed": 0,
                "classifier": "",  # classifier checkpoint: report the Inception Score when set
                "is_samples": 500,
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
        # one definition for training and inference (which rebuilds from a checkpoint without this task)
        return build("wavegan", config, discriminators=True)

    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        self.gan = get_gan_loss(config["loss"]["gan"])
        self._classifier = None

    # -- data ---------------------------------------------------------------------------------------
    def train_dataset(self) -> ClipDataset:
        d = self.config["data"]
        if not d["train_dir"]:
            raise ConfigError(
                "data.train_dir is not set (a data dir with wav.scp or a folder of audio files)"
            )
        clips = subset(list_clips(d["train_dir"]), d["max_clips"])
        return ClipDataset(
            clips,
            d["sample_rate"],
            self.config["model"]["slice_len"],
            random_crop=True,
            normalize=d["normalize"],
        )

    # -- losses -------------------------------------------------------------------------------------
    def _fake(self, n: int) -> Tensor:
        g = self.nets["generator"]
        z = torch.rand(n, self.config["model"]["latent_dim"], device=self.device) * 2 - 1
        return g(z)

    def discriminator_loss(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """``batch["audio"]: Tensor[B, 1, slice_len]`` of real clips."""
        d, real = self.nets["discriminator"], batch["audio"]
        with torch.no_grad():
            fake = self._fake(real.shape[0])
        real_logits, fake_logits = d(real), d(fake)
        loss = self.gan.d_loss(real_logits, fake_logits)
        out = {"adv": loss.detach(), "wdist": (real_logits.mean() - fake_logits.mean()).detach()}
        cfg = self.config["loss"]
        if cfg["gp_weight"] > 0 and self.gan.name == "wgan-gp":
            gp = gradient_penalty(d, real, fake)
            loss = loss + cfg["gp_weight"] * gp
            out["gp"] = gp.detach()
        if cfg["r1_weight"] > 0:
            r1 = r1_penalty(d, real)
            loss = loss + cfg["r1_weight"] / 2 * r1
            out["r1"] = r1.detach()
        out["loss"] = loss
        return out

    def generator_loss(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        d, real = self.nets["discriminator"], batch["audio"]
        fake_logits = d(self._fake(real.shape[0]))
        if self.gan.needs_real_for_g:
            loss = self.gan.g_loss(fake_logits, d(real))
        else:
            loss = self.gan.g_loss(fake_logits)
        return {"loss": loss, "adv": loss.detach()}

    def after_update(self, group: str) -> None:
        limit = self.config["loss"]["clip_weights"]
        if group == "discriminator" and limit > 0:
            clip_weights(self.nets["discriminator"], limit)

    # -- evaluation ---------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, outdir: Path) -> dict[str, float]:
        from audiogan.inference.generate import latents, run_generator, save_spectrogram_grid, write_samples

        e, sr = self.config["eval"], self.config["data"]["sample_rate"]
        g = self.nets["generator"]
        z = latents(e["seed"], e["num_samples"], self.config["model"]["latent_dim"])
        audio = run_generator(g, z, batch_size=64, device=str(self.device))
        step = self.step
        folder = Path(outdir) / "samples" / f"step-{step:07d}"
        write_samples(audio, sr, folder, [f"sample_{i:03d}" for i in range(len(audio))])
        grid = save_spectrogram_grid(audio, sr, folder / "grid.png")
        if self.writer is not None:
            for i in range(min(4, len(audio))):
                self.writer.add_audio(f"sample_{i}", torch.from_numpy(audio[i, 0]), step, sample_rate=sr)
            import matplotlib.image as mpimg

            img = mpimg.imread(grid)[..., :3]
            self.writer.add_image("spectrograms", img, step, dataformats="HWC")
        metrics = {"sample_rms": float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))}
        if e["classifier"]:
            metrics.update(self._inception_score())
        return metrics

    def _inception_score(self) -> dict[str, float]:
        from audiogan.inference.generate import latents, run_generator
        from audiogan.metrics.generation import inception_score, load_classifier

        if self._classifier is None:
            self._classifier = load_classifier(self.config["eval"]["classifier"])
        clf = self._classifier
        z = latents(
            self.config["eval"]["seed"] + 1,
            self.config["eval"]["is_samples"],
            self.config["model"]["latent_dim"],
        )
        audio = run_generator(self.nets["generator"], z, batch_size=64, device=str(self.device))[:, 0]
        probs = clf.probabilities(clf.prepare(audio, self.config["data"]["sample_rate"]))
        mean, std = inception_score(probs)
        return {"inception_score": mean, "inception_score_std": std}

    def inference_state(self) -> dict[str, Any]:
        return {
            "sample_rate": int(self.config["data"]["sample_rate"]),
            "slice_len": int(self.config["model"]["slice_len"]),
            "latent_dim": int(self.config["model"]["latent_dim"]),
        }
