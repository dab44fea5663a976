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
import json
import sys

import torch
import torch.nn.functional as F
from _alternate import RunResult, add_common_options, alternate, report, setup, timed_steps, trainer_run

from audiogan.nn import blocks
from audiogan.tasks.wavegan import WaveGANTask
from audiogan.train.trainer import build_optimizer, seed_everything


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


def eager_run(cfg: dict, batch: dict, steps: int) -> RunResult:
    """Today's iteration, written out: fp32, gather phase shuffle, every backward into every network."""
    seed_everything(cfg["trainer"]["seed"])
    device = torch.device(cfg["trainer"]["device"])
    task = WaveGANTask(cfg)
    task.nets = {k: v.to(device).train() for k, v in task.build_networks(cfg).items()}
    task.device, task.step, task.adversarial = device, 0, True
    opts = {g: build_optimizer(task.nets[g].parameters(), cfg["optim"][g]) for g in task.nets}
    seed_everything(cfg["trainer"]["seed"])  # the trainer re-seeds after building (rank 0: the same seed)

    def step() -> dict[str, float]:
        logs = {}
        for _ in range(cfg["trainer"]["n_critic"]):
            losses = task.discriminator_loss(batch)
            opts["discriminator"].zero_grad(set_to_none=True)
            losses["loss"].backward()
            opts["discriminator"].step()
            logs.update({f"d_{k}": float(v) for k, v in losses.items()})
        losses = task.generator_loss(batch)
        opts["generator"].zero_grad(set_to_none=True)
        losses["loss"].backward()
        opts["generator"].step()
        logs.update({f"g_{k}": float(v) for k, v in losses.items()})
        return logs

    with gather_shuffle():
        return timed_steps(step, steps, device)


def optimised_run(cfg: dict, batch: dict, steps: int) -> RunResult:
    """The trainer's own iteration (``Trainer.train_step``) on the same batch."""
    return trainer_run(WaveGANTask, cfg, lambda device: {"audio": batch["audio"].to(device)}, steps)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--loss", choices=("wgan-gp", "hinge"), default="wgan-gp",
                   help="wgan-gp (the paper) or hinge with R1 (gamma 1)")
    add_common_options(p, steps=2)
    args = p.parse_args()
    amp = setup(args)
    cfg = make_config(args, amp)
    gen = torch.Generator().manual_seed(0)
    audio = (torch.rand(args.batch, 1, 16384, generator=gen) * 2 - 1) * 0.5
    batch = {"audio": audio.to(args.device)}
    best, losses = alternate({"eager": lambda: eager_run(cfg, batch, args.steps),
                              "optimised": lambda: optimised_run(cfg, batch, args.steps)}, args.repeats,
                             unit="iteration")
    print(json.dumps(report("wavegan_step", args, best, losses, dim=args.dim, batch=args.batch,
                            n_critic=args.n_critic, loss=args.loss, optimised_amp=amp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
