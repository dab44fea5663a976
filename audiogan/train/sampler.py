"""The trainer's sampler: an endless, shuffled, resumable sequence of ``(index, seed)`` keys."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch.utils.data import Sampler

from audiogan.errors import ConfigError


class ResumableSampler(Sampler):
    """Shuffled keys ``(index, seed)`` in an endless epoch sequence that can restart mid-epoch.

    The permutation of epoch ``e`` and each item's seed depend only on (seed, epoch, position), and ranks
    take interleaved shards of it, so a resumed or multi-process run sees exactly the same data.
    """

    def __init__(self, size: int, seed: int, start: int = 0, rank: int = 0, world: int = 1, batch: int = 1):
        if size <= 0:
            raise ConfigError("the training set is empty")
        self.size, self.seed, self.start, self.rank, self.world = size, seed, start, rank, world
        # whole batches per epoch per rank; small sets are repeated so one epoch fills at least one batch
        self.per_rank = max(batch, (size // world) // batch * batch)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        position = self.start  # keys already consumed by this rank
        while True:
            epoch, offset = divmod(position, self.per_rank)
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            reps = math.ceil(self.per_rank * self.world / self.size)
            order = torch.cat([torch.randperm(self.size, generator=g) for _ in range(reps)])
            mine = order[self.rank :: self.world][: self.per_rank]
            for i in range(offset, self.per_rank):
                key_seed = (self.seed * 1_000_003 + epoch) * 1_000_003 + i * self.world + self.rank
                yield int(mine[i]), key_seed % (2**63)
            position = (epoch + 1) * self.per_rank

    def __len__(self) -> int:  # pragma: no cover - endless
        return 2**62
