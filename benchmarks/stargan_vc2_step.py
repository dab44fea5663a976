"""StarGAN-VC2 training step against the CycleGAN-VC2 budget step, in one run: a steps/hour estimate for a
machine too busy to time a training directly.

One step = a discriminator and a generator update's forward and backward passes (the task's losses) on random
36 x 128 crops: StarGAN-VC2 with ``--conf`` (default the recipe's cpu config, its batch size, 10 speakers)
and CycleGAN-VC2 with ``--baseline-conf`` (default the budget config, batch 1). The two alternate
``--repeats`` times on ``--threads`` threads and the median process CPU time of each counts, so load changes
hit both (CPU time, not wall time: on a shared machine the wall clock says more about the other processes).
``--baseline-steps-per-hour`` (5,400: the CycleGAN-VC2 budget run on an idle 2-core Xeon) turns the ratio
into an estimate.

    python3 benchmarks/stargan_vc2_step.py [--conf C.yaml] [--repeats 5] [--threads 1]

Last line: one JSON object (``stargan_cpu_s``, ``cyclegan_cpu_s``, ``ratio``, ``est_steps_per_hour``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from audiogan.config import merge, read_yaml
from audiogan.tasks.cyclegan_vc2 import CycleGANVC2Task
from audiogan.tasks.stargan_vc2 import StarGANVC2Task

ROOT = Path(__file__).resolve().parents[1]


def live(cls, conf: str, speakers: int = 0):
    cfg = merge(cls.default_config(), read_yaml(conf))
    if speakers:
        cfg["model"]["speakers"] = [f"s{i}" for i in range(speakers)]
    task = cls(cfg)
    task.nets = task.build_networks(cfg)
    return task, cfg


def cpu_step(task, batch) -> float:
    t0 = time.process_time()
    task.discriminator_loss(batch)["loss"].backward()
    task.generator_loss(batch)["loss"].backward()
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conf", default=str(ROOT / "egs/vcc2016/stargan_vc2/conf/stargan_vc2.cpu.yaml"))
    ap.add_argument("--baseline-conf",
                    default=str(ROOT / "egs/vcc2016/cyclegan_vc2/conf/cyclegan_vc2.cpu.yaml"))
    ap.add_argument("--baseline-steps-per-hour", type=float, default=5400.0)
    ap.add_argument("--speakers", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    star, cfg = live(StarGANVC2Task, args.conf, args.speakers)
    cyc, _ = live(CycleGANVC2Task, args.baseline_conf)
    b, d, n = cfg["trainer"]["batch_size"], cfg["model"]["feature_dim"], cfg["data"]["crop_frames"]
    star_batch = [torch.randn(b, d, n), torch.randn(b, d, n), torch.arange(b) % args.speakers,
                  (torch.arange(b) + 1) % args.speakers]
    cyc_batch = [torch.randn(1, d, n), torch.randn(1, d, n)]
    cpu_step(star, star_batch), cpu_step(cyc, cyc_batch)  # warm-up
    s, c = [], []
    for _ in range(args.repeats):
        s.append(cpu_step(star, star_batch))
        c.append(cpu_step(cyc, cyc_batch))
    s_med, c_med = sorted(s)[len(s) // 2], sorted(c)[len(c) // 2]
    est = args.baseline_steps_per_hour * c_med / s_med
    print(f"CPU s/step, median of {args.repeats} ({args.threads} thread(s)): StarGAN-VC2 batch {b}: "
          f"{s_med:.2f}; CycleGAN-VC2 baseline: {c_med:.2f}; ratio {s_med / c_med:.2f}; about {est:.0f} "
          f"steps/h where the baseline does {args.baseline_steps_per_hour:.0f}")
    print(json.dumps({"stargan_cpu_s": s_med, "cyclegan_cpu_s": c_med, "ratio": s_med / c_med,
                      "est_steps_per_hour": est, "batch_size": b, "threads": args.threads}))


if __name__ == "__main__":
    main()
