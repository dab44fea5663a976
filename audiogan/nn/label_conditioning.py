"""Class conditioning of a GAN: a label embedding joined to the generator's latent, and the projection
discriminator's class term (Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018).

Both take ``labels: Tensor[B]`` of class indices in ``[0, num_classes)``; with ``num_classes == 0`` they are
the unconditional layers (no parameters added, so unconditional checkpoints keep their state dicts).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def check_labels(labels: Tensor | None, batch: int, num_classes: int, what: str) -> None:
    """Raise a clear ValueError unless ``labels`` fits a model with ``num_classes`` classes (0: none)."""
    if num_classes == 0:
        if labels is not None:
            raise ValueError(f"{what} is unconditional: it takes no labels")
        return
    if labels is None:
        raise ValueError(f"{what} is conditional on {num_classes} classes: pass labels: Tensor[B]")
    if labels.dim() != 1 or labels.shape[0] != batch:
        raise ValueError(f"{what} expects labels: Tensor[{batch}], got shape {tuple(labels.shape)}")
    # the range check reads the values: on CPU only (on a GPU it would sync every step; the embedding
    # lookup fails there anyway)
    on_cpu = labels.device.type == "cpu" and labels.numel() > 0
    if on_cpu and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"{what}: labels must lie in [0, {num_classes}), got {labels.tolist()}")


class LabelToLatent(nn.Module):
    """``(z: Tensor[B, D], labels: Tensor[B]) -> Tensor[B, D + embed_dim]``: the label's learned embedding
    concatenated to the latent (identity for ``num_classes == 0``). ``out_dim`` is the joined size."""

    def __init__(self, latent_dim: int, num_classes: int = 0, embed_dim: int = 0):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        self.out_dim = latent_dim + (embed_dim if num_classes else 0)
        if self.embed is not None:
            nn.init.normal_(self.embed.weight, std=0.5)  # about the scale of z ~ U[-1, 1] (std 0.58)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        check_labels(labels, z.shape[0], self.num_classes, "the generator")
        if self.embed is None:
            return z
        return torch.cat([z, self.embed(labels).to(z.dtype)], dim=1)


class ClassProjection(nn.Module):
    """``(h: Tensor[B, F], labels: Tensor[B]) -> Tensor[B]``: ``<embed(label), h>``, the projection
    discriminator's conditional term, added to D's unconditional logit (zeros when ``num_classes == 0``).

    The embedding starts at zero, so a conditional D starts as the unconditional one and learns the class
    term (its gradient is ``h``).
    """

    def __init__(self, features: int, num_classes: int = 0):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, features) if num_classes else None
        if self.embed is not None:
            nn.init.zeros_(self.embed.weight)

    def forward(self, h: Tensor, labels: Tensor | None = None) -> Tensor:
        check_labels(labels, h.shape[0], self.num_classes, "the discriminator")
        if self.embed is None:
            return h.new_zeros(h.shape[0])
        return (self.embed(labels).to(h.dtype) * h).sum(1)
