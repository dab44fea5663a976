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
import json
import sys

import torch
from _alternate import RunResult, add_common_options, alternate, report, setup, timed_steps, trainer_run

from audiogan.config import load_config
from audiogan.tasks.cyclegan_vc2 import CycleGANVC2Task
from audiogan.train.trainer import build_optimizer, seed_everything


def make_config(conf: str | None, device: str, amp: str) -> dict:
    cfg = CycleGANVC2Task.default_config()
    if conf:
        loaded = load_config(CycleGANVC2Task.default_config(), conf)
        cfg["model"] = loaded["model"]
    cfg["trainer"].update(device=device, amp=amp, batch_size=1, seed=0, progress=False, tensorboard=False)
    return cfg


def eager_run(cfg: dict, batch: list[torch.Tensor], steps: int) -> RunResult:
    """Today's step, written out: fp32, G and D updates each backpropagating into every network."""
    seed_everything(cfg["trainer"]["seed"])
    device = torch.device(cfg["trainer"]["device"])
    task = CycleGANVC2Task(cfg)
    task.nets = {k: v.to(device).train() for k, v in task.build_networks(cfg).items()}
    task.device, task.step, task.adversarial = device, 0, True
    groups = {"discriminator": task.discriminators, "generator": task.generators}
    opts = {g: build_optimizer([p for n in names for p in task.nets[n].parameters()], cfg["optim"][g])
            for g, names in groups.items()}

    def step() -> dict[str, float]:
        logs = {}
        for group, fn in (("discriminator", task.discriminator_loss), ("generator", task.generator_loss)):
            losses = fn(batch)
            opts[group].zero_grad(set_to_none=True)
            losses["loss"].backward()
            opts[group].step()
            logs.update({f"{group[0]}_{k}": float(v) for k, v in losses.items()})
        return logs

    return timed_steps(step, steps, device)


def optimised_run(cfg: dict, batch: list[torch.Tensor], steps: int) -> RunResult:
    """The trainer's own step (``Trainer.train_step``) on the same batch."""
    return trainer_run(CycleGANVC2Task, cfg, lambda device: [x.to(device) for x in batch], steps)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conf", help="take the model widths from this config (default: the paper's)")
    p.add_argument("--frames", type=int, default=128)
    add_common_options(p, steps=3)
    args = p.parse_args()
    amp = setup(args)
    cfg = make_config(args.conf, args.device, amp)
    gen = torch.Generator().manual_seed(0)
    batch = [torch.randn(1, cfg["model"]["feature_dim"], args.frames, generator=gen).to(args.device)
             for _ in range(2)]
    best, losses = alternate({"eager": lambda: eager_run(cfg, batch, args.steps),
                              "optimised": lambda: optimised_run(cfg, batch, args.steps)}, args.repeats)
    print(json.dumps(report("cyclegan_vc2_step", args, best, losses, conf=args.conf or "paper widths",
                            frames=args.frames, optimised_amp=amp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
