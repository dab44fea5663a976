"""CycleGAN-VC2 training step: today's eager fp32 step against the trainer's optimised step, in one run.

One step = a discriminator update (D_A, D_B, D2_A, D2_B) and a generator update (G_AB, G_BA; adversarial,
second-step, cycle and identity losses), Adam, batch 1 of 128-frame crops of 36-dim features, paper widths
by default (``--conf`` takes a recipe config's model section instead).

- ``eager``: the step as it was written before the optimisation: fp32, every backward also computing the
  weight gradients of the networks the update does not step.
- ``optimised``: :meth:`Trainer.train_step`, which is what ``audiogan train`` runs: the generator update
  records the discriminators' weights as constants, and bf16 autocast (fp32 master weights) where the CPU
  has bf16 matrix units (or CUDA); ``--amp none`` measures that change alone.

Both start from the same weights; the loss values of the first step are printed for both, with their largest
relative difference (fp32: equal to float rounding; bf16: within a few per cent). The two alternate
``--repeats`` times and the best time of each counts, so a load change on the machine hits both.

    python3 benchmarks/cyclegan_vc2_step.py [--conf egs/vcc2016/cyclegan_vc2/conf/cyclegan_vc2.cpu.yaml]
        [--steps 3] [--repeats 3] [--amp auto|bf16|none] [--device cpu]

Last line: one JSON object (``eager_step_s``, ``optimised_step_s``, ``speedup``, losses, ...).
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import sys
import tempfile
import time

import torch

from audiogan.config import load_config
from audiogan.inference.denoise import bf16_is_fast
from audiogan.tasks.cyclegan_vc2 import CycleGANVC2Task
from audiogan.train.trainer import Trainer, build_optimizer, seed_everything


def make_config(conf: str | None, device: str, amp: str) -> dict:
    cfg = CycleGANVC2Task.default_config()
    if conf:
        loaded = load_config(CycleGANVC2Task.default_config(), conf)
        cfg["model"] = loaded["model"]
    cfg["trainer"].update(device=device, amp=amp, batch_size=1, seed=0, progress=False, tensorboard=False)
    return cfg


def eager_run(cfg: dict, batch: list[torch.Tensor], steps: int) -> tuple[float, dict[str, float]]:
    """Today's step, written out: fp32, G and D updates each backpropagating into every network."""
    seed_everything(cfg["trainer"]["seed"])
    device = torch.device(cfg["trainer"]["device"])
    task = CycleGANVC2Task(cfg)
    task.nets = {k: v.to(device).train() for k, v in task.build_networks(cfg).items()}
    task.device, task.step, task.adversarial = device, 0, True
    groups = {"discriminator": task.discriminators, "generator": task.generators}
    opts = {g: build_optimizer([p for n in names for p in task.nets[n].parameters()], cfg["optim"][g])
            for g, names in groups.items()}
    first: dict[str, float] = {}
    best = float("inf")
    for i in range(steps + 1):  # the first step warms up (allocations, oneDNN primitives)
        t = time.perf_counter()
        for group, fn in (("discriminator", task.discriminator_loss), ("generator", task.generator_loss)):
            losses = fn(batch)
            opts[group].zero_grad(set_to_none=True)
            losses["loss"].backward()
            opts[group].step()
            if i == 0:
                first.update({f"{group[0]}_{k}": float(v) for k, v in losses.items()})
        _sync(device)
        if i:
            best = min(best, time.perf_counter() - t)
    return best, first


def optimised_run(cfg: dict, batch: list[torch.Tensor], steps: int) -> tuple[float, dict[str, float]]:
    """The trainer's own step (``Trainer.train_step``) on the same batch."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(CycleGANVC2Task(copy.deepcopy(cfg)), tmp)
        trainer._setup()
        batches = iter(lambda: [x.to(trainer.device) for x in batch], None)
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
    p.add_argument("--conf", help="take the model widths from this config (default: the paper's)")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--frames", type=int, default=128)
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
    cfg = make_config(args.conf, args.device, amp)
    gen = torch.Generator().manual_seed(0)
    batch = [torch.randn(1, cfg["model"]["feature_dim"], args.frames, generator=gen).to(args.device)
             for _ in range(2)]
    times: dict[str, list[float]] = {"eager": [], "optimised": []}
    losses: dict[str, dict[str, float]] = {}
    for _ in range(args.repeats):
        for name, run in (("eager", eager_run), ("optimised", optimised_run)):
            t, first = run(cfg, batch, args.steps)
            times[name].append(t)
            losses[name] = first
            print(f"{name}: {t:.3f} s/step", file=sys.stderr, flush=True)
    eager, optimised = min(times["eager"]), min(times["optimised"])
    shared = [k for k in losses["eager"] if k in losses["optimised"]]
    rel = {k: abs(losses["optimised"][k] - losses["eager"][k]) / max(abs(losses["eager"][k]), 1e-8)
           for k in shared}
    print(json.dumps({
        "benchmark": "cyclegan_vc2_step", "device": args.device,
        "cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
        "conf": args.conf or "paper widths", "frames": args.frames, "optimised_amp": amp,
        "eager_step_s": round(eager, 3), "optimised_step_s": round(optimised, 3),
        "speedup": round(eager / optimised, 3),
        "first_step_losses_eager": {k: round(v, 5) for k, v in losses["eager"].items()},
        "first_step_losses_optimised": {k: round(v, 5) for k, v in losses["optimised"].items()},
        "max_relative_loss_difference": round(max(rel.values()), 5),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
