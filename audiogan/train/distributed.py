"""Multi-process data-parallel helpers for `torchrun` (gloo on CPU, nccl on CUDA).

GAN steps run a network forward without a matching backward (e.g. the generator in a discriminator step),
which ``DistributedDataParallel`` forbids between two reductions. So instead of wrapping modules we keep
DDP's semantics by hand: identical initial weights (broadcast from rank 0), a distributed sampler, and
gradients averaged across ranks with one coalesced all-reduce per network group before each optimizer step.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import torch
import torch.distributed as dist
from torch import nn


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main() -> bool:
    return rank() == 0


def init_from_env(device: str) -> None:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1); no-op otherwise."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return
    backend = "nccl" if device.startswith("cuda") else "gloo"
    dist.init_process_group(backend=backend)


def local_device(device: str) -> str:
    """On CUDA each process takes the GPU of its LOCAL_RANK."""
    if device == "cuda" and world_size() > 1:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return f"cuda:{local}"
    return device


def broadcast_modules(modules: Iterable[nn.Module]) -> None:
    """Copy rank 0's parameters and buffers to every rank."""
    if world_size() == 1:
        return
    for module in modules:
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t.data, src=0)


def average_gradients(params: list[nn.Parameter]) -> None:
    """All-reduce (mean) the gradients of ``params`` in one flat buffer."""
    n = world_size()
    if n == 1:
        return
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= n
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def parameter_checksums(modules: dict[str, nn.Module]) -> list[float]:
    """One float per rank summarising all weights; equal values mean the ranks stayed in sync."""
    params = [p.detach() for name in sorted(modules) for p in modules[name].parameters()]
    device = params[0].device if params else torch.device("cpu")
    total = torch.zeros((), dtype=torch.float64, device=device)
    for p in params:  # abs-sum plus a weighted sum: cheap, and any divergence changes it
        total += p.double().abs().sum() + 1e-3 * p.double().sum()
    if world_size() == 1:
        return [float(total)]
    gathered = [torch.zeros_like(total) for _ in range(world_size())]
    dist.all_gather(gathered, total)
    return [float(t) for t in gathered]


def broadcast_flag(flag: bool, device: torch.device | str = "cpu") -> bool:
    """Rank 0's ``flag`` on every rank (e.g. "the time budget is spent": all ranks stop at the same step)."""
    if world_size() == 1:
        return bool(flag)
    t = torch.tensor([1 if flag else 0], device=device)
    dist.broadcast(t, src=0)
    return bool(t.item())


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()


def shutdown(clean: bool = True) -> None:
    """Leave the process group. After an error skip the barrier: a peer may never reach it."""
    if dist.is_available() and dist.is_initialized():
        if clean:
            dist.barrier()  # gloo aborts a rank whose peer tears down the group first
        dist.destroy_process_group()
