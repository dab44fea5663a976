"""Time accounting of a training that may span sessions: its wall-clock budget, and the CPU and wall time it
has used over every run that resumed it (stored in each checkpoint as ``usage`` and copied into exports)."""

from __future__ import annotations

import time
from typing import Any


class RunClock:
    """Started when a run (a session) starts training; ``previous`` is the usage stored by earlier runs.

    CPU time is :func:`time.process_time`: every thread of this process (intra-op threads included); data
    loader worker processes are not counted (the trainer's default is none).
    """

    def __init__(self, budget_minutes: float | None, previous: dict[str, Any] | None = None):
        self.budget_s = None if budget_minutes is None else float(budget_minutes) * 60.0
        prev = previous or {}
        self.prev_cpu = float(prev.get("cpu_seconds", 0.0))
        self.prev_wall = float(prev.get("wall_seconds", 0.0))
        self.prev_runs = int(prev.get("runs", 0))
        self.t0, self.c0 = time.monotonic(), time.process_time()

    def elapsed(self) -> float:
        """Wall seconds of this run."""
        return time.monotonic() - self.t0

    def over_budget(self) -> bool:
        return self.budget_s is not None and self.elapsed() >= self.budget_s

    def usage(self) -> dict[str, Any]:
        """Totals over this and every earlier run of the experiment."""
        return {
            "cpu_seconds": round(self.prev_cpu + time.process_time() - self.c0, 3),
            "wall_seconds": round(self.prev_wall + self.elapsed(), 3),
            "runs": self.prev_runs + 1,
        }
