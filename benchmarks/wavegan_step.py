#!/usr/bin/env python3
"""WaveGAN speed: one training step (n_critic WGAN-GP critic updates + 1 generator update, as the trainer
does it through the task) and generation throughput (seconds of audio per second).

    python3 benchmarks/wavegan_step.py                       # paper size: d=64, batch 64, 5 critic updates
    python3 benchmarks/wavegan_step.py --dim 8 --batch 16    # a small model

The last line of stdout is one JSON object. Timings are wall-clock medians over --steps steps after
--warmup untimed ones, on --device (default cpu) with torch's default thread count.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

from audiogan.config import load_config
from audiogan.tasks.wavegan import WaveGANTask
from audiogan.train.trainer import build_optimizer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--n-critic", type=int, default=5)
    ap.add_argument("--slice-len", type=int, default=16384)
    ap.add_argument("--steps", type=int, default=2, help="timed training steps")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    ap.add_argument("--gen-batches", type=int, default=3, help="timed generation batches")
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--no-mkldnn",
        action="store_true",
        help="disable oneDNN convolutions (to compare CPU code paths)",
    )
    args = ap.parse_args()
    if args.no_mkldnn:
        torch.backends.mkldnn.enabled = False

    torch.manual_seed(0)
    config = load_config(
        WaveGANTask.default_config(),
        None,
        [
            f"model.dim={args.dim}",
            f"model.slice_len={args.slice_len}",
            f"trainer.batch_size={args.batch}",
            f"trainer.n_critic={args.n_critic}",
        ],
    )
    task = WaveGANTask(config)
    device = torch.device(args.device)
    task.nets = {k: v.to(device).train() for k, v in task.build_networks(config).items()}
    task.device = device
    opt = {
        g: build_optimizer(task.nets[g].parameters(), config["optim"][g])
        for g in ("generator", "discriminator")
    }
    batch = {"audio": (torch.rand(args.batch, 1, args.slice_len, device=device) * 2 - 1) * 0.5}

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def step() -> float:
        sync()
        t0 = time.perf_counter()
        for _ in range(args.n_critic):
            losses = task.discriminator_loss(batch)
            opt["discriminator"].zero_grad(set_to_none=True)
            losses["loss"].backward()
            opt["discriminator"].step()
        losses = task.generator_loss(batch)
        opt["generator"].zero_grad(set_to_none=True)
        losses["loss"].backward()
        opt["generator"].step()
        sync()
        return time.perf_counter() - t0

    for _ in range(args.warmup):
        step()
    times = [step() for _ in range(args.steps)]

    g = task.nets["generator"].eval()
    with torch.no_grad():
        g(g.sample_latent(args.batch))  # warm-up
        sync()
        t0 = time.perf_counter()
        for _ in range(args.gen_batches):
            g(g.sample_latent(args.batch))
        sync()
        gen_s = time.perf_counter() - t0
    audio_s = args.gen_batches * args.batch * args.slice_len / 16000
    result = {
        "benchmark": "wavegan_step",
        "dim": args.dim,
        "batch": args.batch,
        "n_critic": args.n_critic,
        "slice_len": args.slice_len,
        "device": args.device,
        "mkldnn": torch.backends.mkldnn.enabled,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "steps_timed": len(times),
        "train_step_s": statistics.median(times),
        "train_step_s_all": [round(t, 3) for t in times],
        "generation_audio_s_per_s": audio_s / gen_s,
        "generation_clips_per_s": args.gen_batches * args.batch / gen_s,
    }
    print(
        f"train step (batch {args.batch}, d={args.dim}, {args.n_critic} D + 1 G updates): "
        f"{result['train_step_s']:.2f} s; generation: {result['generation_audio_s_per_s']:.1f} s audio/s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
