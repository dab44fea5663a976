"""An exponential moving average of the generator group's weights (what evaluation and export use)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

import torch
from torch import nn


class WeightAverage:
    """EMA copies of ``nets`` (name -> module). Before ``start_step`` the copies track the weights exactly."""

    def __init__(self, nets: dict[str, nn.Module], decay: float, start_step: int = 0):
        self.decay, self.start_step = decay, start_step
        self.nets = nets
        self.copies = {n: copy.deepcopy(m).eval().requires_grad_(False) for n, m in nets.items()}

    @torch.no_grad()
    def update(self, step: int) -> None:
        """Fold the current weights in; ``step`` is the number of generator updates so far."""
        if step < self.start_step:
            for n, e in self.copies.items():
                e.load_state_dict(self.nets[n].state_dict())
            return
        for n, e in self.copies.items():
            for pe, p in zip(e.parameters(), self.nets[n].parameters()):
                pe.lerp_(p.detach(), 1.0 - self.decay)
            for be, b in zip(e.buffers(), self.nets[n].buffers()):
                be.copy_(b)

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        return {n: m.state_dict() for n, m in self.copies.items()}

    def load_state_dict(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        for n, m in self.copies.items():
            m.load_state_dict(state[n])

    @contextlib.contextmanager
    def swapped_in(self) -> Iterator[None]:
        """Within the block the networks hold the averaged weights (evaluation uses what inference will)."""
        saved = {n: copy.deepcopy(self.nets[n].state_dict()) for n in self.copies}
        for n, e in self.copies.items():
            self.nets[n].load_state_dict(e.state_dict())
        try:
            yield
        finally:
            for n, s in saved.items():
                self.nets[n].load_state_dict(s)
