"""A toy GAN on a 2-D Gaussian mixture: the trainer's smoke test and a quick check of a loss choice.

``audiogan train toy --outdir exp/toy loss.name=wgan-gp`` trains in seconds on a CPU; ``evaluate`` reports the
sliced Wasserstein-1 distance between generated and real samples. (2-D, not 1-D: in one dimension a
gradient-penalised critic cannot turn its slope from +1 to -1 without crossing zero norm, so WGAN-GP stalls.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from audiogan.data.sampling import index_and_rng
from audiogan.models.registry import build
from audiogan.nn.losses import clip_weights, get_gan_loss, gradient_penalty, r1_penalty
from audiogan.train.task import AdversarialTask, base_config


class MixtureDataset(Dataset):
    """Fixed samples of a Gaussian mixture with isotropic modes; item: Tensor[D]."""

    def __init__(self, means: list[list[float]], std: float, size: int, seed: int):
        rng = np.random.default_rng(seed)
        centres = np.asarray(means, dtype=np.float64).reshape(len(means), -1)
        modes = rng.integers(0, len(centres), size)
        self.samples = (centres[modes] + std * rng.standard_normal((size, centres.shape[1]))).astype(
            np.float32
        )

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, key) -> Tensor:
        index, _ = index_and_rng(key)
        return torch.from_numpy(self.samples[index])


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, projections: int = 64, seed: int = 0) -> float:
    """Mean W1 over random 1-D projections of two equal-size samples ``[N, D]`` (exact W1 when D = 1)."""
    if a.shape != b.shape:
        raise ValueError(f"samples differ in shape: {a.shape} vs {b.shape}")
    dirs = np.random.default_rng(seed).standard_normal((a.shape[1], projections))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    return float(np.abs(np.sort(a @ dirs, axis=0) - np.sort(b @ dirs, axis=0)).mean())


class ToyGANTask(AdversarialTask):
    name = "toy"
    best_metric = "sw1"
    best_mode = "min"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(
            task=cls.name,
            model={"latent_dim": 4, "hidden": 64},
            data={
                "means": [[-2.0, -2.0], [-2.0, 2.0], [2.0, -2.0], [2.0, 2.0]],
                "std": 0.3,
                "size": 4096,
                "seed": 1234,
            },
            loss={"name": "ns", "gp_weight": 10.0, "r1_weight": 0.0, "clip": 0.01},
            trainer={
                "max_steps": 400,
                "batch_size": 128,
                "log_interval": 50,
                "save_interval": 200,
                "eval_interval": 0,
                "tensorboard": False,
            },
            optim={
                "generator": {"lr": 1e-3, "betas": [0.5, 0.9]},
                "discriminator": {"lr": 1e-3, "betas": [0.5, 0.9]},
            },
        )

    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        # one definition for training and inference (which rebuilds from a checkpoint without this task)
        return build("toy", config, discriminators=True)

    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        self.gan = get_gan_loss(config["loss"]["name"])

    def train_dataset(self) -> Dataset:
        d = self.config["data"]
        return MixtureDataset(d["means"], d["std"], d["size"], d["seed"])

    def _fake(self, n: int) -> Tensor:
        z = torch.randn(n, self.config["model"]["latent_dim"], device=self.device)
        return self.nets["generator"](z)

    def discriminator_loss(self, real: Tensor) -> dict[str, Tensor]:
        D, cfg = self.nets["discriminator"], self.config["loss"]
        with torch.no_grad():
            fake = self._fake(real.shape[0])
        adv = self.gan.d_loss(D(real), D(fake))
        out = {"adv": adv}
        loss = adv
        if self.gan.name == "wgan-gp":
            out["gp"] = gradient_penalty(D, real, fake)
            loss = loss + cfg["gp_weight"] * out["gp"]
        if cfg["r1_weight"] > 0:
            out["r1"] = r1_penalty(D, real)
            loss = loss + 0.5 * cfg["r1_weight"] * out["r1"]
        out["loss"] = loss
        return out

    def generator_loss(self, real: Tensor) -> dict[str, Tensor]:
        D = self.nets["discriminator"]
        fake = self._fake(real.shape[0])
        real_logits = D(real) if self.gan.needs_real_for_g else None
        adv = self.gan.g_loss(D(fake), real_logits)
        return {"loss": adv, "adv": adv}

    def after_update(self, group: str) -> None:
        if (
            group == "discriminator" and self.gan.name == "wgan"
        ):  # original WGAN: clip after each critic update
            clip_weights(self.nets["discriminator"], self.config["loss"]["clip"])

    @torch.no_grad()
    def sample(self, n: int) -> np.ndarray:
        return self._fake(n).float().cpu().numpy()

    def evaluate(self, outdir: Path) -> dict[str, float]:
        real = self.train_dataset().samples
        return {"sw1": sliced_wasserstein(self.sample(len(real)), real)}
