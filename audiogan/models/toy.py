"""The toy GAN's networks (the trainer's smoke test, :mod:`audiogan.tasks.toy`): two small MLPs.

Generator ``z: Tensor[B, latent_dim] -> x: Tensor[B, D]``; discriminator ``x: Tensor[B, D] -> Tensor[B, 1]``.
"""

from __future__ import annotations

from torch import nn


def mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    """``Tensor[B, n_in] -> Tensor[B, n_out]``: two hidden layers of ``hidden`` units, LeakyReLU 0.2."""
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, n_out),
    )
