"""Small helpers shared by subcommands."""

from __future__ import annotations

import argparse

from audiogan.devices import resolve_device  # noqa: F401  (moved; old import path)
from audiogan.errors import AudioGanError


class UsageError(AudioGanError):
    """A wrong command-line argument."""


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
