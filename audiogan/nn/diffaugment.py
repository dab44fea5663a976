"""DiffAugment (Zhao et al., NeurIPS 2020) for audio and spectrogram discriminators.

A GAN trained on a small set over-fits its discriminator; augmenting *both* the real and the generated
inputs of D with the same kind of differentiable transforms keeps D from memorising the set while the
generator still gets gradients through the transform. The ops here are the paper's translation, brightness
and cutout, restated for sound:

* ``shift``  - move each example along time by up to ``shift_ratio`` of its length (zero fill);
* ``freq``   - spectrograms only (``[B, C, F, T]``): move along frequency by up to ``freq_ratio`` of the bins;
* ``gain``   - waveforms (``[B, C, T]``): scale by a gain in ``[-gain_db, +gain_db]`` dB; spectrograms: add
  an offset in ``[-offset, offset]`` (a gain is an offset on a log-magnitude scale);
* ``cutout`` - zero one span of ``cutout_ratio`` of the time axis (and, on spectrograms, of the frequency
  axis too: a rectangle).

Every op draws its parameters per example (from ``generator`` when given, so a run is reproducible), and is
built from multiplications, masks and ``gather``, so gradients reach the input. Hand-written: the maintained
audio augmentation packages (torch-audiomentations, torchaudio's transforms) draw per batch or are not
differentiable in their parameters' application on both inputs of D, which DiffAugment needs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

OPS = ("shift", "freq", "gain", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    """``"shift,gain,cutout"`` -> ``("shift", "gain", "cutout")``, ``""`` -> ``()``; unknown: ValueError."""
    ops = tuple(p.strip() for p in policy.split(",") if p.strip())
    for op in ops:
        if op not in OPS:
            raise ValueError(f"unknown DiffAugment op '{op}' (choose from: {', '.join(OPS)})")
    if len(set(ops)) != len(ops):
        raise ValueError(f"DiffAugment policy '{policy}' names an op twice")
    return ops


def _uniform(
    shape: tuple[int, ...], lo: float, hi: float, x: Tensor, generator: torch.Generator | None
) -> Tensor:
    r = torch.rand(shape, generator=generator)
    return (lo + (hi - lo) * r).to(device=x.device, dtype=x.dtype)


def _randint(n: int, lo: int, hi: int, x: Tensor, generator: torch.Generator | None) -> Tensor:
    """``n`` integers in ``[lo, hi]`` on ``x``'s device."""
    return torch.randint(lo, hi + 1, (n,), generator=generator).to(x.device)


def shift_along(x: Tensor, shifts: Tensor, dim: int) -> Tensor:
    """Delay example ``b`` of ``x`` by ``shifts[b]`` steps along ``dim`` (advance when negative), zero fill.

    ``x: Tensor[B, ...]``, ``shifts: Tensor[B]`` (integers) -> same shape. Differentiable in ``x``.
    """
    dim = dim % x.dim()
    n = x.shape[dim]
    index = torch.arange(n, device=x.device).view([1] * dim + [n] + [1] * (x.dim() - dim - 1))
    index = index - shifts.view([-1] + [1] * (x.dim() - 1))  # output[t] = input[t - k]
    valid = (index >= 0) & (index < n)
    gathered = x.gather(dim, index.clamp(0, n - 1).expand(x.shape))
    return gathered * valid.to(x.dtype)


def span_mask(x: Tensor, dim: int, size: int, generator: torch.Generator | None) -> Tensor:
    """A ``{0, 1}`` mask broadcastable to ``x``, 1 inside one span of ``size`` steps along ``dim`` per
    example (spans may hang over either edge, as in the paper's cutout)."""
    dim = dim % x.dim()
    n = x.shape[dim]
    centre = _randint(x.shape[0], 0, n - 1, x, generator)
    pos = torch.arange(n, device=x.device)
    start = (centre - size // 2).unsqueeze(1)
    inside = (pos.unsqueeze(0) >= start) & (pos.unsqueeze(0) < start + size)  # [B, n]
    shape = [x.shape[0]] + [1] * (x.dim() - 1)
    shape[dim] = n
    return inside.to(x.dtype).view(shape)


class DiffAugment(nn.Module):
    """``x: Tensor[B, C, T]`` (waveforms) or ``Tensor[B, C, F, T]`` (spectrograms) -> the same shape.

    ``policy``: comma-separated ops of :data:`OPS`, applied in that order; ``""``: identity. Active in
    training and eval mode alike (D sees augmented inputs whenever the task calls it).
    """

    def __init__(
        self,
        policy: str = "",
        *,
        shift_ratio: float = 0.125,
        freq_ratio: float = 0.125,
        gain_db: float = 6.0,
        offset: float = 0.25,
        cutout_ratio: float = 0.25,
    ):
        super().__init__()
        self.ops = parse_policy(policy)
        self.shift_ratio, self.freq_ratio, self.gain_db = shift_ratio, freq_ratio, gain_db
        self.offset, self.cutout_ratio = offset, cutout_ratio

    @property
    def active(self) -> bool:
        return bool(self.ops)

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        if not self.ops:
            return x
        if x.dim() not in (3, 4):
            raise ValueError(f"DiffAugment expects Tensor[B, C, T] or [B, C, F, T], got {tuple(x.shape)}")
        spec = x.dim() == 4
        b = x.shape[0]
        for op in self.ops:
            if op == "shift":
                k = int(x.shape[-1] * self.shift_ratio)
                if k > 0:
                    x = shift_along(x, _randint(b, -k, k, x, generator), -1)
            elif op == "freq":
                if not spec:
                    raise ValueError("DiffAugment op 'freq' needs spectrograms Tensor[B, C, F, T]")
                k = int(x.shape[-2] * self.freq_ratio)
                if k > 0:
                    x = shift_along(x, _randint(b, -k, k, x, generator), -2)
            elif op == "gain":
                shape = (b,) + (1,) * (x.dim() - 1)
                if spec:
                    x = x + _uniform(shape, -self.offset, self.offset, x, generator)
                else:
                    db = _uniform(shape, -self.gain_db, self.gain_db, x, generator)
                    x = x * torch.pow(10.0, db / 20)
            elif op == "cutout":
                size_t, size_f = (max(1, int(x.shape[d] * self.cutout_ratio)) for d in (-1, -2))
                inside = span_mask(x, -1, size_t, generator)
                if spec:  # a rectangle: inside the time span and the frequency span
                    inside = inside * span_mask(x, -2, size_f, generator)
                x = x * (1 - inside)
        return x

    def extra_repr(self) -> str:
        return f"policy='{','.join(self.ops)}'"
