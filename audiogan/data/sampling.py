"""The key contract between the trainer's sampler and every dataset.

The trainer's ``ResumableSampler`` hands a map-style dataset keys ``(index, seed)``; each item's seed depends
only on ``trainer.seed``, the epoch and the position, so random crops are reproducible and resumable
whatever the number of workers. Evaluation passes plain ints.
"""

from __future__ import annotations

import numpy as np


def index_and_rng(key: int | tuple[int, int]) -> tuple[int, np.random.Generator]:
    """Split a sampler key into (item index, per-item RNG). Plain ints get a fixed RNG (evaluation)."""
    if isinstance(key, tuple | list):
        index, seed = int(key[0]), int(key[1])
    else:
        index, seed = int(key), int(key)
    return index, np.random.default_rng(seed)
