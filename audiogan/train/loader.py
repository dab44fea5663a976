"""The training batches: a DataLoader over the resumable sampler's keys, moved to the device."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader

from audiogan.train.sampler import ResumableSampler


def to_device(batch: Any, device: torch.device) -> Any:
    """Tensors in nested dicts, lists and tuples moved to ``device``; anything else as it is."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def batch_stream(dataset: Any, cfg: dict[str, Any], collate_fn: Callable | None, device: torch.device,
                 start: int, rank: int = 0, world: int = 1) -> Iterator[Any]:
    """Endless batches of ``cfg["batch_size"]`` items, from key ``start`` (keys already consumed) on."""
    batch_size = cfg["batch_size"]
    sampler = ResumableSampler(len(dataset), cfg["seed"], start, rank, world, batch_size)
    workers = cfg["num_workers"]
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        collate_fn=collate_fn,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
        drop_last=True,
        # its own generator: creating the iterator must not draw from the global RNG,
        # or a resumed run would diverge from an uninterrupted one
        generator=torch.Generator().manual_seed(cfg["seed"] + rank),
    )
    for batch in loader:
        yield to_device(batch, device)
