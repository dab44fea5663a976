"""Device names as users write them (``auto``, ``cpu``, ``cuda``, ``cuda:N``), checked once for every command
and the trainer."""

from __future__ import annotations

from audiogan.errors import AudioGanError


def resolve_device(name: str) -> str:
    """'auto' picks CUDA when available, else CPU; an unavailable CUDA request is a clear error."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(name).type
    except (RuntimeError, ValueError):
        kind = ""
    if kind not in ("cpu", "cuda"):
        raise AudioGanError(f"unknown device '{name}' (auto, cpu, cuda or cuda:N)")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise AudioGanError(f"device '{name}' requested but CUDA is not available")
    return name
