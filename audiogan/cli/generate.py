"""`audiogan generate -m CKPT -n N [-o OUTDIR] [--seed S] [--interpolate K] [--grid FILE.png]`.

Writes ``sample_<i>.wav`` from a WaveGAN checkpoint (EMA weights when it has them). The same seed always
gives the same files. With ``--interpolate K`` it writes, for each of the N latent pairs (latent i of
``--seed`` and latent i of ``--seed-to``), K files ``interp_<i>_<k>.wav`` along the line between them; the
end points are exactly what plain generation with each seed gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

MAX_CLIPS = 10_000  # per run: all clips are held in memory (64 KB each at 16384 samples)

def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate audio with a WaveGAN checkpoint",
        description="Generate audio clips with a trained WaveGAN.",
    )
    p.add_argument(
        "-m",
        "--model",
        help="checkpoint file, experiment dir (uses best.pt/latest) or builtin:NAME "
        "(default: the built-in WaveGAN; `audiogan models`)",
    )
    p.add_argument("-n", "--num", type=int, default=16, help="number of clips (or interpolation paths); 16")
    p.add_argument("-o", "--outdir", default="generated", help="output folder (default: ./generated)")
    p.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    p.add_argument("--interpolate", type=int, metavar="K", help="walk K steps from --seed to --seed-to")
    p.add_argument("--seed-to", type=int, help="end seed of --interpolate (default: --seed + 1)")
    p.add_argument("--grid", metavar="FILE.png", help="also save a spectrogram grid of the clips")
    p.add_argument("--batch-size", type=int, default=64, help="clips per forward pass (default 64)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from audiogan.cli._common import UsageError
    from audiogan.devices import resolve_device
    from audiogan.inference.generate import (
        interpolate_latents,
        latents,
        run_generator,
        save_spectrogram_grid,
        write_samples,
    )

    if not 1 <= args.num <= MAX_CLIPS:
        raise UsageError(f"-n must be in 1..{MAX_CLIPS}, got {args.num}")
    for name, seed in (("--seed", args.seed), ("--seed-to", args.seed_to)):
        if seed is not None and not 0 <= seed < 2**32:
            raise UsageError(f"{name} must be in 0..{2**32 - 1}, got {seed}")
    if args.interpolate is not None and args.num * max(args.interpolate, 1) > MAX_CLIPS:
        raise UsageError(f"-n x --interpolate is {args.num * args.interpolate} clips; at most {MAX_CLIPS}")
    if args.grid and not args.grid.lower().endswith(".png"):
        raise UsageError(f"--grid must name a .png file, got '{args.grid}'")
    from audiogan.inference.loading import load_wavegan_model
    from audiogan.pretrained import resolve_model

    device = resolve_device(args.device)
    model = load_wavegan_model(resolve_model(args.model, "wavegan"))
    generator, sample_rate, dim = model.generator, model.sample_rate, model.latent_dim
    z = latents(args.seed, args.num, dim)
    if args.interpolate is not None:
        end = args.seed + 1 if args.seed_to is None else args.seed_to
        path = interpolate_latents(z, latents(end, args.num, dim), args.interpolate)  # [N, K, D]
        names = [f"interp_{i:04d}_{k:03d}" for i in range(args.num) for k in range(args.interpolate)]
        z = path.reshape(-1, dim)
    else:
        names = [f"sample_{i:04d}" for i in range(args.num)]
    audio = run_generator(
        generator, z, args.batch_size, device, progress=len(z) > args.batch_size
    )
    written = write_samples(audio, sample_rate, args.outdir, names)
    if args.grid:
        save_spectrogram_grid(
            audio,
            sample_rate,
            args.grid,
            titles=names if len(names) <= 64 else None,
            columns=args.interpolate,
        )
    print(
        f"wrote {len(written)} clips ({audio.shape[-1] / sample_rate:.3f} s at {sample_rate} Hz) to "
        f"{Path(args.outdir)} from {model.path} (step {model.step})",
        file=sys.stderr,
    )
    return 0
