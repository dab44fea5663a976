"""StarGAN-VC2 networks (Kaneko et al., "StarGAN-VC2: Rethinking conditional methods for StarGAN-based voice
conversion", Interspeech 2019): one many-to-many 2-1-2D generator and a projection discriminator.

Both take normalised coded spectral envelopes ``x: Tensor[B, F, T]`` (F feature dims, T frames) and speaker
indices ``src, tgt: LongTensor[B]`` into the model's speaker list (``num_speakers`` N):

* the generator is CycleGAN-VC2's 2-1-2D generator (:class:`audiogan.models.cyclegan_vc2.Generator2to1to2D`,
  whose 2-D layers it reuses) with conditional instance normalisation (CIN) in the 1-D residual blocks: the
  paper's modulation-based conditioning. The code is the concatenated one-hot source and target
  (``condition="pair"``, the source-and-target code; ``[B, 2N]``) or the target alone (``"target"``,
  StarGAN-VC's; ``[B, N]``);
* the discriminator is the CycleGAN-VC2 PatchGAN body (gated 2-D convs) followed by global sum pooling and a
  projection (Miyato & Koyama 2018) onto an embedding of the (source, target) pair: the paper's
  source-and-target conditional adversarial loss, ``D(y, c, c')`` judges whether ``y`` is real speech of
  ``c'`` in the context of a conversion from ``c``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from audiogan.models.cyclegan_vc2 import _DOWN, Generator2to1to2D, PatchDiscriminator
from audiogan.nn.blocks import check_shape
from audiogan.nn.conditional import ConditionalResidualGatedBlock1d

CONDITIONS = ("pair", "target")
POOLINGS = ("sum", "mean")


def _check_speakers(src: Tensor, tgt: Tensor, batch: int, num_speakers: int, what: str) -> None:
    for name, s in (("src", src), ("tgt", tgt)):
        if s.dim() != 1 or s.shape[0] != batch:
            raise ValueError(f"{what} expects {name} LongTensor[{batch}], got shape {tuple(s.shape)}")
        if s.numel() and (int(s.min()) < 0 or int(s.max()) >= num_speakers):
            raise ValueError(f"{what}: speaker index out of range 0..{num_speakers - 1}: {s.tolist()}")


def speaker_code(src: Tensor, tgt: Tensor, num_speakers: int, condition: str = "pair") -> Tensor:
    """One-hot speaker code: ``src, tgt: LongTensor[B]`` -> ``Tensor[B, 2N]`` (pair) or ``Tensor[B, N]``."""
    tgt_code = F.one_hot(tgt, num_speakers).float()
    if condition == "target":
        return tgt_code
    return torch.cat([F.one_hot(src, num_speakers).float(), tgt_code], dim=1)


class StarGenerator2to1to2D(Generator2to1to2D):
    """The StarGAN-VC2 generator. ``x: Tensor[B, F, T], src, tgt: LongTensor[B] -> Tensor[B, F, T]``.

    Layout as :class:`Generator2to1to2D` (same widths and kernels; the paper uses 9 residual blocks) except
    that each 1-D residual block normalises with CIN on the speaker code. Any F and T (padded to multiples
    of 4 inside, trimmed back).
    """

    def __init__(self, num_speakers: int, feature_dim: int = 36, channels: int = 128,
                 down_channels: int = 256, res_channels: int = 256, res_hidden_channels: int = 512,
                 num_residual: int = 9, condition: str = "pair", res_kernel: int = 3):
        super().__init__(feature_dim, channels, down_channels, res_channels, res_hidden_channels, 0,
                         res_kernel=res_kernel)
        if num_speakers < 2:
            raise ValueError(f"a many-to-many generator needs at least 2 speakers, got {num_speakers}")
        if condition not in CONDITIONS:
            raise ValueError(f"unknown condition '{condition}' (choose from {CONDITIONS})")
        del self.residual  # replaced by the conditional blocks
        self.num_speakers, self.condition = num_speakers, condition
        cond_dim = num_speakers * (2 if condition == "pair" else 1)
        self.blocks = nn.ModuleList(
            ConditionalResidualGatedBlock1d(res_channels, res_hidden_channels, cond_dim, res_kernel)
            for _ in range(num_residual)
        )

    def forward(self, x: Tensor, src: Tensor, tgt: Tensor) -> Tensor:  # type: ignore[override]
        check_shape(x, 3, "StarGenerator2to1to2D")
        b, f, t = x.shape
        if f != self.feature_dim:
            raise ValueError(f"generator built for {self.feature_dim} feature dims, got {tuple(x.shape)}")
        _check_speakers(src, tgt, b, self.num_speakers, "StarGenerator2to1to2D")
        code = speaker_code(src, tgt, self.num_speakers, self.condition).to(x.device)
        pad_f, pad_t = self.padded_dim - f, (-t) % _DOWN
        h = x.unsqueeze(1)
        if pad_f or pad_t:  # edge replication, as the CycleGAN-VC2 generator
            h = F.pad(h, (0, pad_t, 0, pad_f), mode="replicate")
        h = self.down(self.in_gate(h))  # [B, C, F/4, T/4]
        c, fq, tq = h.shape[1:]
        h = self.to_1d(h.reshape(b, c * fq, tq))  # [B, res_channels, T/4]
        for block in self.blocks:
            h = block(h, code)
        h = self.to_2d(h).reshape(b, c, fq, tq)
        h = self.up(h)  # [B, channels, F, T]
        y = self.out(F.pad(h, self.out_padding)).squeeze(1)
        return y[:, :f, :t]


class ProjectionDiscriminator(nn.Module):
    """Source-and-target conditional projection discriminator.

    ``x: Tensor[B, F, T], src, tgt: LongTensor[B] -> logits Tensor[B]``: ``phi(x) = pool(body(x))`` with the
    gated PatchGAN body of CycleGAN-VC2 (``channels``, ``final_kernel`` as :class:`PatchDiscriminator`)
    and ``pooling`` over frequency and time (``sum`` as in the paper; ``mean`` keeps the logit's scale
    independent of the crop length); logit ``= w . phi + b + <embed(src * N + tgt), phi>``.
    """

    def __init__(self, num_speakers: int, channels: tuple[int, ...] | list[int] = (128, 256, 512, 1024),
                 kernel: int = 3, final_kernel: tuple[int, int] | list[int] | None = (1, 5),
                 pooling: str = "sum"):
        super().__init__()
        if num_speakers < 2:
            raise ValueError(f"a many-to-many discriminator needs at least 2 speakers, got {num_speakers}")
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling '{pooling}' (choose from {POOLINGS})")
        self.num_speakers, self.pooling = num_speakers, pooling
        self.body = PatchDiscriminator(channels, kernel, final_kernel).body  # reuse its layers, not its head
        width = list(channels)[-1]
        self.linear = nn.Linear(width, 1)
        self.embed = nn.Embedding(num_speakers * num_speakers, width)
        nn.init.normal_(self.embed.weight, std=width**-0.5)

    def forward(self, x: Tensor, src: Tensor, tgt: Tensor) -> Tensor:
        check_shape(x, 3, "ProjectionDiscriminator")
        _check_speakers(src, tgt, x.shape[0], self.num_speakers, "ProjectionDiscriminator")
        h = self.body(x.unsqueeze(1))  # [B, C, F', T']
        phi = h.sum(dim=(2, 3)) if self.pooling == "sum" else h.mean(dim=(2, 3))  # [B, C]
        pair = (src * self.num_speakers + tgt).to(x.device)
        return self.linear(phi).squeeze(1) + (self.embed(pair) * phi).sum(dim=1)


class SpeakerPairGenerator(nn.Module):
    """One fixed (source, target) direction of a :class:`StarGenerator2to1to2D`, with the one-argument call
    of a CycleGAN-VC2 generator: ``x: Tensor[B, F, T] -> Tensor[B, F, T]``."""

    def __init__(self, generator: StarGenerator2to1to2D, source: int, target: int):
        super().__init__()
        self.generator, self.source, self.target = generator, int(source), int(target)

    def forward(self, x: Tensor) -> Tensor:
        b = x.shape[0]
        src = torch.full((b,), self.source, dtype=torch.long, device=x.device)
        tgt = torch.full((b,), self.target, dtype=torch.long, device=x.device)
        return self.generator(x, src, tgt)
