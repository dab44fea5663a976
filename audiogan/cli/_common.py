"""Small helpers shared by subcommands."""

from __future__ import annotations

import argparse

from audiogan.errors import AudioGanError


class NotBuiltYet(AudioGanError):
    pass


def not_built(feature: str):
    def run(args: argparse.Namespace) -> int:
        raise NotBuiltYet(f"'{feature}' is not built yet")

    return run


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1, else a one-line usage error."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'")
    return n


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
