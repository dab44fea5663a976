#!/usr/bin/env python3
"""SEGAN training-step speed, fp32 against bf16 autocast, in one run (same process, same batch).

One step = the task's discriminator update then its generator update (L1 + STFT + adversarial, as the
config says), exactly the losses the trainer steps. Reports training slices (windows) per second for each
precision, their ratio, and the loss values of both on the first fixed batch (bf16 must agree to a few
per cent; the trainer keeps fp32 master weights). fp32 and bf16 runs alternate ``--repeats`` times and the
best of each counts, so a load change on the machine hits both.

Usage: python3 benchmarks/segan_step.py [--conf egs/mini/segan/conf/segan_cpu.yaml] [--batch-size 8]
       [--steps 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from audiogan.config import load_config
from audiogan.tasks.segan import SEGANTask
from audiogan.train.trainer import build_optimizer

ROOT = Path(__file__).resolve().parents[1]


def one_run(cfg: dict, batch: torch.Tensor, steps: int, bf16: bool) -> tuple[float, dict[str, float]]:
    torch.manual_seed(0)
    task = SEGANTask(cfg)
    task.nets = {k: v.train() for k, v in SEGANTask.build_networks(cfg).items()}
    opt = {g: build_optimizer(task.nets[g if g == "generator" else "discriminator"].parameters(),
                              cfg["optim"][g]) for g in ("generator", "discriminator")}
    first: dict[str, float] = {}
    best = float("inf")
    for i in range(steps + 1):  # the first step warms up (allocations, oneDNN primitives)
        t = time.perf_counter()
        for group, fn in (("discriminator", task.discriminator_loss), ("generator", task.generator_loss)):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                losses = fn(batch)
            opt[group].zero_grad(set_to_none=True)
            losses["loss"].float().backward()
            opt[group].step()
            if i == 0:
                first.update({f"{group[0]}_{k}": float(v) for k, v in losses.items()})
        if i:
            best = min(best, time.perf_counter() - t)
    return best, first


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conf", default=str(ROOT / "egs/mini/segan/conf/segan_cpu.yaml"))
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cfg = load_config(SEGANTask.default_config(), args.conf)
    cfg["task"] = "segan"
    w = cfg["model"]["window"]
    gen = torch.Generator().manual_seed(0)
    batch = 0.1 * torch.randn(args.batch_size, 2, w, generator=gen)
    times: dict[bool, list[float]] = {False: [], True: []}
    losses: dict[bool, dict] = {}
    for _ in range(args.repeats):
        for bf16 in (False, True):
            t, first = one_run(cfg, batch, args.steps, bf16)
            times[bf16].append(t)
            losses[bf16] = first
            print(f"{'bf16' if bf16 else 'fp32'}: {args.batch_size / t:.2f} slices/s", file=sys.stderr)
    fp32, bf16 = min(times[False]), min(times[True])
    rel = {k: abs(losses[True][k] - v) / max(abs(v), 1e-8)
           for k, v in losses[False].items() if k in losses[True]}
    print(json.dumps({
        "conf": Path(args.conf).name, "batch_size": args.batch_size, "threads": torch.get_num_threads(),
        "fp32_step_s": round(fp32, 3), "bf16_step_s": round(bf16, 3),
        "fp32_slices_per_s": round(args.batch_size / fp32, 2),
        "bf16_slices_per_s": round(args.batch_size / bf16, 2),
        "bf16_speedup": round(fp32 / bf16, 3),
        "first_batch_losses_fp32": {k: round(v, 5) for k, v in losses[False].items()},
        "first_batch_losses_bf16": {k: round(v, 5) for k, v in losses[True].items()},
        "max_relative_loss_difference": round(max(rel.values()), 4),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
