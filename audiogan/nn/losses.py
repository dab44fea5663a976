"""The adversarial loss zoo. Every loss works on discriminator logits (no sigmoid in the models).

Each family gives ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits[, real_logits])``; pick one
by name with :func:`get_gan_loss`. Penalties (WGAN-GP, R1), weight clipping and feature matching are
separate functions because they need the critic or its features.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from audiogan.errors import ConfigError


# -- non-saturating GAN (Goodfellow et al. 2014) -------------------------------------------------------
def ns_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def ns_g_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    return F.softplus(-fake).mean()


# -- least squares GAN (Mao et al. 2017), targets 1 (real) / 0 (fake) ------------------------------
def lsgan_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    return 0.5 * ((real - 1.0) ** 2).mean() + 0.5 * (fake**2).mean()


def lsgan_g_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    """``E[(D(G(x)) - 1)^2]`` with weight 1, as segan_pytorch and the CycleGAN-VC2 reference code use.

    The SEGAN paper's equation carries a factor 1/2; tasks reproduce it with ``loss.adv_weight: 0.5``.
    """
    return ((fake - 1.0) ** 2).mean()


# -- Wasserstein GAN (Arjovsky et al. 2017); add weight clipping or a gradient penalty -----------------
def wgan_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    return fake.mean() - real.mean()


def wgan_g_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    return -fake.mean()


# -- hinge (Lim & Ye 2017; Miyato et al. 2018) -----------------------------------------------------
def hinge_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def hinge_g_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    return -fake.mean()


# -- relativistic average GAN / LSGAN (Jolicoeur-Martineau 2018) -----------------------------------
def _need_real(real: Tensor | None, name: str) -> Tensor:
    if real is None:
        raise ValueError(f"{name} generator loss needs the real logits")
    return real


def ragan_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    return F.softplus(-(real - fake.mean())).mean() + F.softplus(fake - real.mean()).mean()


def ragan_g_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    real = _need_real(real, "RaGAN")
    return F.softplus(-(fake - real.mean())).mean() + F.softplus(real - fake.mean()).mean()


def ralsgan_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    return ((real - fake.mean() - 1.0) ** 2).mean() + ((fake - real.mean() + 1.0) ** 2).mean()


def ralsgan_g_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    real = _need_real(real, "RaLSGAN")
    return ((fake - real.mean() - 1.0) ** 2).mean() + ((real - fake.mean() + 1.0) ** 2).mean()


@dataclass(frozen=True)
class GANLoss:
    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[..., Tensor]
    needs_real_for_g: bool = False  # relativistic losses compare against the real logits


GAN_LOSSES: dict[str, GANLoss] = {
    "ns": GANLoss("ns", ns_d_loss, ns_g_loss),
    "lsgan": GANLoss("lsgan", lsgan_d_loss, lsgan_g_loss),
    "wgan": GANLoss("wgan", wgan_d_loss, wgan_g_loss),
    "wgan-gp": GANLoss("wgan-gp", wgan_d_loss, wgan_g_loss),
    "hinge": GANLoss("hinge", hinge_d_loss, hinge_g_loss),
    "ragan": GANLoss("ragan", ragan_d_loss, ragan_g_loss, True),
    "ralsgan": GANLoss("ralsgan", ralsgan_d_loss, ralsgan_g_loss, True),
}


def get_gan_loss(name: str) -> GANLoss:
    if name not in GAN_LOSSES:
        raise ConfigError(f"unknown GAN loss '{name}' (choose from: {', '.join(GAN_LOSSES)})")
    return GAN_LOSSES[name]


# -- penalties and regularisers --------------------------------------------------------------------
def gradient_penalty(
    critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, target: float = 1.0
) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017): ``E[(||grad D(x_hat)||_2 - target)^2]`` on random interpolates.

    ``real``/``fake``: Tensor[B, ...] of the same shape. Multiply by lambda (10 in the paper) yourself.
    """
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    x_hat = (alpha * real.detach() + (1.0 - alpha) * fake.detach()).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(2, dim=1)
    return ((norm - target) ** 2).mean()


def r1_penalty(critic: Callable[[Tensor], Tensor], real: Tensor) -> Tensor:
    """R1 (Mescheder et al. 2018): ``E[||grad D(x)||^2]`` on real data. Multiply by gamma/2 yourself."""
    x = real.detach().requires_grad_(True)
    out = critic(x)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).mean()


@torch.no_grad()
def clip_weights(module: nn.Module, limit: float = 0.01) -> None:
    """Original WGAN weight clipping; call after each critic update."""
    for p in module.parameters():
        p.clamp_(-limit, limit)


def feature_matching_loss(real_features: Sequence[Tensor], fake_features: Sequence[Tensor]) -> Tensor:
    """Mean L1 distance between discriminator feature maps of real and generated inputs (real detached)."""
    if len(real_features) != len(fake_features) or not real_features:
        raise ValueError("feature matching needs the same non-zero number of real and fake feature maps")
    for i, (r, f) in enumerate(zip(real_features, fake_features)):
        if r.shape != f.shape:  # l1_loss would broadcast with only a warning
            raise ValueError(f"feature map {i}: real {tuple(r.shape)} and fake {tuple(f.shape)} differ")
    losses = [F.l1_loss(f, r.detach()) for r, f in zip(real_features, fake_features)]
    return torch.stack(losses).mean()
