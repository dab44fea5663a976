"""CycleGAN-VC2 training speed: full-size networks, 36-dim features, 128-frame crops.

One iteration = what the common trainer does per step: a discriminator update (D_A, D_B, D2_A, D2_B) and a
generator update (G_AB, G_BA; adversarial + second-step + cycle + identity losses), with Adam.

    python3 benchmarks/cyclegan_vc2_step.py [--batch-sizes 1 8] [--iters 3] [--warmup 1] [--threads N]

Prints one line per batch size and, last, one JSON object:
``{"benchmark": "cyclegan_vc2_step", "device": ..., "threads": ..., "results": [{"batch_size", "it_per_s",
"s_per_it", "frames_per_s"}, ...]}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from audiogan.tasks.cyclegan_vc2 import CycleGANVC2Task
from audiogan.train.trainer import build_optimizer


def bench(batch_size: int, iters: int, warmup: int, dims: int, frames: int, device: str) -> dict[str, float]:
    torch.manual_seed(0)
    cfg = CycleGANVC2Task.default_config()
    cfg["model"]["feature_dim"] = dims
    task = CycleGANVC2Task(cfg)
    task.nets = {k: v.to(device).train() for k, v in task.build_networks(cfg).items()}
    task.device = torch.device(device)
    groups = {"generator": task.generators, "discriminator": task.discriminators}
    opts = {g: build_optimizer([p for n in names for p in task.nets[n].parameters()], cfg["optim"][g])
            for g, names in groups.items()}
    batch = [torch.randn(batch_size, dims, frames, device=device) for _ in range(2)]

    def step() -> None:
        for group, fn in (("discriminator", task.discriminator_loss), ("generator", task.generator_loss)):
            opts[group].zero_grad(set_to_none=True)
            fn(batch)["loss"].backward()
            opts[group].step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    dt = (time.perf_counter() - t0) / iters
    return {"batch_size": batch_size, "it_per_s": round(1.0 / dt, 4), "s_per_it": round(dt, 3),
            "frames_per_s": round(batch_size * frames / dt, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--dims", type=int, default=36)
    p.add_argument("--frames", type=int, default=128)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = []
    for bs in args.batch_sizes:
        r = bench(bs, args.iters, args.warmup, args.dims, args.frames, args.device)
        print(f"batch {bs}: {r['it_per_s']:.3f} it/s ({r['s_per_it']:.2f} s/it)", flush=True)
        results.append(r)
    print(json.dumps({"benchmark": "cyclegan_vc2_step", "device": args.device, "cpu": platform.processor() or
                      platform.machine(), "threads": torch.get_num_threads(), "dims": args.dims,
                      "frames": args.frames, "torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
