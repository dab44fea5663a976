#!/usr/bin/env python3
"""WaveGAN training iteration: today's eager fp32 step against the trainer's optimised step, in one run.

One iteration = ``n_critic`` critic updates (WGAN-GP, lambda 10) and one generator update, Adam, on a fixed
batch of 16384-sample clips; the paper's objective at d=64, batch 8 by default (the sizes the issue
measured the WaveGAN-pytorch port at).

- ``eager``: the step as it was before the optimisation, written out: fp32, and phase shuffle through a
  ``gather`` index even when the whole batch shares one shift (the reference draws one per batch), so the
  penalty's double backward runs gather's scatter-add four times per critic forward.
- ``optimised``: :meth:`Trainer.train_step`, what ``audiogan train wavegan`` runs: a batch-wide phase
  shuffle is a slice (same values and gradients, tested in tests/nn/test_blocks.py), the generator update
  records the critic's weights as constants, and bf16 autocast (fp32 master weights) where the CPU has
  bf16 matrix units or on CUDA; ``--amp none`` measures the fp32 changes alone.

Both start from the same weights and random draws; the first iteration's losses are printed for both with
their largest relative difference (``--amp none``: equal; bf16: within a few per cent, penalty included).
The two alternate ``--repeats`` times and the best time of each counts, so load changes hit both.

    python3 benchmarks/wavegan_step.py [--dim 64] [--batch 8] [--n-critic 5] [--steps 2] [--repeats 3]
        [--amp auto|bf16|none] [--loss wgan-gp|hinge] [--threads N] [--device cpu]

Last line: one JSON object (``eager_step_s``, ``optimised_step_s``, ``speedup``, losses, ...).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import platform
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

from audiogan.inference.denoise import bf16_is_fast
from audiogan.nn import blocks
from audiogan.tasks.wavegan import WaveGANTask
from audiogan.train.trainer import Trainer, build_optimizer, seed_everything


def gather_phase_shuffle(self: blocks.PhaseShuffle, x: torch.Tensor, shifts=None) -> torch.Tensor:
    """PhaseShuffle.forward as it was: a gather index for every shift (the 'eager' baseline)."""
    if not self.training or self.n == 0:
        return x
    b, c, t = x.shape
    n = self.n
    if shifts is None:
        shifts = torch.randint(-n, n + 1, (b if self.per_sample else 1,), device=x.device)
    shifts = shifts.expand(b) if shifts.numel() == 1 else shifts
    padded = F.pad(x, (n, n), mode="reflect" if t > n else "replicate")
    index = torch.arange(t, device=x.device).unsqueeze(0) - shifts.unsqueeze(1) + n
    return padded.gather(2, index.unsqueeze(1).expand(b, c, t))


@contextlib.contextmanager
def gather_shuffle():
    saved = blocks.PhaseShuffle.forward
    blocks.PhaseShuffle.forward = gather_phase_shuffle
    try:
        yield
    finally:
        blocks.PhaseShuffle.forward = saved


def make_config(args: argparse.Namespace, amp: str) -> dict:
    cfg = WaveGANTask.default_config()
    cfg["model"]["dim"] = args.dim
    cfg["loss"]["gan"] = args.loss
    if args.loss != "wgan-gp":
        cfg["loss"].update(gp_weight=0.0, r1_weight=1.0)
    cfg["trainer"].update(device=args.device, amp=amp, batch_size=args.batch, n_critic=args.n_critic, seed=0,
                          progress=False, tensorboard=False)
    return cfg


def eager_run(cfg: dict, batch: dict, steps: int) -> tuple[float, dict[str, float]]:
    """Today's iteration, written out: fp32, gather phase shuffle, every backward into every network."""
    seed_everything(cfg["trainer"]["seed"])
    device = torch.device(cfg["trainer"]["device"])
    task = WaveGANTask(cfg)
    task.nets = {k: v.to(device).train() for k, v in task.build_networks(cfg).items()}
    task.device, task.step, task.adversarial = device, 0, True
    opts = {g: build_optimizer(task.nets[g].parameters(), cfg["optim"][g]) for g in task.nets}
    seed_everything(cfg["trainer"]["seed"])  # the trainer re-seeds after building (rank 0: the same seed)
    first: dict[str, float] = {}
    best = float("inf")
    with gather_shuffle():
        for i in range(steps + 1):  # the first iteration warms up (allocations, oneDNN primitives)
            t = time.perf_counter()
            for _ in range(cfg["trainer"]["n_critic"]):
                losses = task.discriminator_loss(batch)
                opts["discriminator"].zero_grad(set_to_none=True)
                losses["loss"].backward()
                opts["discriminator"].step()
                if i == 0:
                    first.update({f"d_{k}": float(v) for k, v in losses.items()})
            losses = task.generator_loss(batch)
            opts["generator"].zero_grad(set_to_none=True)
            losses["loss"].backward()
            opts["generator"].step()
            _sync(device)
            if i == 0:
                first.update({f"g_{k}": float(v) for k, v in losses.items()})
            else:
                best = min(best, time.perf_counter() - t)
    return best, first


def optimised_run(cfg: dict, batch: dict, steps: int) -> tuple[float, dict[str, float]]:
    """The trainer's own iteration (``Trainer.train_step``) on the same batch."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(WaveGANTask(copy.deepcopy(cfg)), tmp)
        trainer._setup()
        batches = iter(lambda: {"audio": batch["audio"].to(trainer.device)}, None)
        first: dict[str, float] = {}
        best = float("inf")
        for i in range(steps + 1):
            t = time.perf_counter()
            logs = trainer.train_step(batches)
            _sync(trainer.device)
            if i == 0:
                first = {k: v for k, v in logs.items() if not k.startswith("lr_")}
            else:
                best = min(best, time.perf_counter() - t)
    return best, first


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--loss", choices=("wgan-gp", "hinge"), default="wgan-gp",
                   help="wgan-gp (the paper) or hinge with R1 (gamma 1)")
    p.add_argument("--steps", type=int, default=2, help="timed iterations per run (after one warm-up)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--amp", choices=("auto", "bf16", "none"), default="auto",
                   help="optimised step's autocast (auto: bf16 where the CPU has bf16 matrix units, or CUDA)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    amp = args.amp
    if amp == "auto":
        amp = "bf16" if bf16_is_fast(args.device) else "none"
    cfg = make_config(args, amp)
    gen = torch.Generator().manual_seed(0)
    audio = (torch.rand(args.batch, 1, 16384, generator=gen) * 2 - 1) * 0.5
    batch = {"audio": audio.to(args.device)}
    times: dict[str, list[float]] = {"eager": [], "optimised": []}
    losses: dict[str, dict[str, float]] = {}
    for _ in range(args.repeats):
        for name, run in (("eager", eager_run), ("optimised", optimised_run)):
            t, first = run(cfg, batch, args.steps)
            times[name].append(t)
            losses[name] = first
            print(f"{name}: {t:.3f} s/iteration", file=sys.stderr, flush=True)
    eager, optimised = min(times["eager"]), min(times["optimised"])
    shared = [k for k in losses["eager"] if k in losses["optimised"]]
    rel = {k: abs(losses["optimised"][k] - losses["eager"][k]) / max(abs(losses["eager"][k]), 1e-8)
           for k in shared}
    print(f"eager {eager:.3f} s, optimised {optimised:.3f} s per iteration: {eager / optimised:.2f}x",
          file=sys.stderr)
    print(json.dumps({
        "benchmark": "wavegan_step", "device": args.device,
        "cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
        "dim": args.dim, "batch": args.batch, "n_critic": args.n_critic, "loss": args.loss,
        "optimised_amp": amp, "eager_step_s": round(eager, 3), "optimised_step_s": round(optimised, 3),
        "speedup": round(eager / optimised, 3),
        "first_step_losses_eager": {k: round(v, 5) for k, v in losses["eager"].items()},
        "first_step_losses_optimised": {k: round(v, 5) for k, v in losses["optimised"].items()},
        "max_relative_loss_difference": round(max(rel.values()), 5),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
