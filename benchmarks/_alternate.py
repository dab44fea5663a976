"""The skeleton every step benchmark shares: common options, a timed run of the trainer's own step, runs
that alternate so a load change on the (shared, noisy) machine hits each the same, and the JSON report with
the ratio and the first-step losses of both. Benchmarks import it as ``from _alternate import ...``
(``python3 benchmarks/X.py`` puts this folder on the path)."""

from __future__ import annotations

import argparse
import copy
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import torch

from audiogan.train.trainer import Trainer

# (best seconds per step, first step's losses)
RunResult = tuple[float, dict[str, float]]


def add_common_options(p: argparse.ArgumentParser, steps: int = 3) -> None:
    p.add_argument("--steps", type=int, default=steps, help="timed steps per run (after one warm-up)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--amp", choices=("auto", "bf16", "none"), default="auto",
                   help="optimised step's autocast (auto: bf16 where the CPU has bf16 matrix units, or CUDA)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")


def setup(args: argparse.Namespace) -> str:
    """Apply ``--threads``; the autocast the optimised run uses ("bf16" or "none")."""
    from audiogan.inference.denoise import bf16_is_fast

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.amp == "auto":
        return "bf16" if bf16_is_fast(args.device) else "none"
    return args.amp


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed_steps(step: Callable[[], dict[str, float]], steps: int, device: torch.device) -> RunResult:
    """Best time of ``steps`` calls after one warm-up call (allocations, oneDNN primitives); the warm-up's
    returned losses are the first step's."""
    first: dict[str, float] = {}
    best = float("inf")
    for i in range(steps + 1):
        t = time.perf_counter()
        logs = step()
        sync(device)
        if i == 0:
            first = {k: v for k, v in logs.items() if not k.startswith("lr_")}
        else:
            best = min(best, time.perf_counter() - t)
    return best, first


def trainer_run(task_cls: type, cfg: dict, batch_on: Callable[[torch.device], Any], steps: int) -> RunResult:
    """The trainer's own step (``Trainer.train_step``, what ``audiogan train`` runs) on a fixed batch."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(task_cls(copy.deepcopy(cfg)), tmp)
        trainer._setup()
        batches = iter(lambda: batch_on(trainer.device), None)
        return timed_steps(lambda: trainer.train_step(batches), steps, trainer.device)


def alternate(runs: dict[str, Callable[[], RunResult]], repeats: int, unit: str = "step"
              ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Run each of ``runs`` in turn, ``repeats`` rounds; the best time of each and its first-step losses."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    losses: dict[str, dict[str, float]] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            t, first = run()
            times[name].append(t)
            losses[name] = first
            print(f"{name}: {t:.3f} s/{unit}", file=sys.stderr, flush=True)
    return {name: min(ts) for name, ts in times.items()}, losses


def report(name: str, args: argparse.Namespace, best: dict[str, float], losses: dict[str, dict[str, float]],
           baseline: str = "eager", candidate: str = "optimised", **fields: Any) -> dict[str, Any]:
    """The JSON record: machine, both times, the ratio, and both first-step loss sets with their largest
    relative difference (the two must compute the same step)."""
    a, b = losses[baseline], losses[candidate]
    rel = [abs(b[k] - a[k]) / max(abs(a[k]), 1e-8) for k in a if k in b]
    print(f"{baseline} {best[baseline]:.3f} s, {candidate} {best[candidate]:.3f} s: "
          f"{best[baseline] / best[candidate]:.2f}x", file=sys.stderr)
    return {
        "benchmark": name, "device": args.device, "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(), **fields,
        f"{baseline}_step_s": round(best[baseline], 3), f"{candidate}_step_s": round(best[candidate], 3),
        "speedup": round(best[baseline] / best[candidate], 3),
        f"first_step_losses_{baseline}": {k: round(v, 5) for k, v in a.items()},
        f"first_step_losses_{candidate}": {k: round(v, 5) for k, v in b.items()},
        "max_relative_loss_difference": round(max(rel), 5) if rel else None,
    }
