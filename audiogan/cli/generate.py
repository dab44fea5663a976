"""`audiogan generate -m CKPT -n N [-o OUTDIR] [--word WORD|all] [--seed S] [--interpolate K] [--grid F.png]`.

Writes ``sample_<i>.wav`` from a WaveGAN or SpecGAN checkpoint (EMA weights when it has them). The same seed
always gives the same files. A class-conditional model takes ``--word WORD`` (``-n`` clips of that word in
``OUTDIR/WORD/``) or ``--word all`` (``-n`` clips of every word, ``OUTDIR/<word>/``: a balanced set, the
layout ``audiogan score generation`` reads as requested words); without ``--word`` it cycles through its
words in ``OUTDIR`` (``sample_<i>_<word>.wav``). With ``--interpolate K`` it writes, for each of the N
latent pairs (latent i of ``--seed`` and latent i of ``--seed-to``), K files ``interp_<i>_<k>.wav`` along
the line between them; the end points are exactly what plain generation with each seed gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

MAX_CLIPS = 10_000  # per run: all clips are held in memory (64 KB each at 16384 samples)

def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate audio with a WaveGAN or SpecGAN checkpoint",
        description="Generate audio clips with a trained WaveGAN or SpecGAN (conditional: --word).",
    )
    p.add_argument(
        "-m",
        "--model",
        help="checkpoint file, experiment dir (uses best.pt/latest) or builtin:NAME "
        "(default: the built-in WaveGAN; `audiogan models`)",
    )
    p.add_argument(
        "-n", "--num", type=int, default=16,
        help="number of clips (or interpolation paths), per word with --word; 16",
    )
    p.add_argument(
        "--word", metavar="WORD", help="conditional models: clips of this word in OUTDIR/WORD/, or 'all'"
    )
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
    import numpy as np

    from audiogan.inference.generate import cycle_labels, requested_words
    from audiogan.inference.loading import load_wavegan_model
    from audiogan.pretrained import BUILTINS, DEFAULTS, PREFIX, resolve_model

    device = resolve_device(args.device)
    if args.model is None and DEFAULTS.get("generate") in BUILTINS:  # the command's default, either family
        args.model = PREFIX + DEFAULTS["generate"]
    named = args.model[len(PREFIX) :] if args.model and args.model.startswith(PREFIX) else None
    builtin = BUILTINS.get(named) if named else None
    family = "specgan" if builtin is not None and builtin.task == "specgan" else "wavegan"
    model = load_wavegan_model(resolve_model(args.model, family))
    words = requested_words(args.word, model.labels)
    if words is not None and len(words) * args.num * max(args.interpolate or 1, 1) > MAX_CLIPS:
        raise UsageError(f"--word {args.word} -n {args.num} is more than {MAX_CLIPS} clips")
    generator, sample_rate, dim = model.generator, model.sample_rate, model.latent_dim
    z = latents(args.seed, args.num, dim)
    if args.interpolate is not None:
        end = args.seed + 1 if args.seed_to is None else args.seed_to
        path = interpolate_latents(z, latents(end, args.num, dim), args.interpolate)  # [N, K, D]
        names = [f"interp_{i:04d}_{k:03d}" for i in range(args.num) for k in range(args.interpolate)]
        z = path.reshape(-1, dim)
    else:
        names = [f"sample_{i:04d}" for i in range(args.num)]
    if words is not None:  # the same latents for every word, one folder per word
        index = {w: i for i, w in enumerate(model.labels)}
        labels = np.repeat(np.array([index[w] for w in words], dtype=np.int64), len(z))
        names = [f"{w}/{name}" for w in words for name in names]
        z = np.tile(z, (len(words), 1))
    elif model.labels:  # no --word: clip (or interpolation path) i gets word i mod K
        labels = np.repeat(cycle_labels(args.num, len(model.labels)), len(z) // args.num)
        names = [f"{name}_{model.labels[k]}" for name, k in zip(names, labels)]
    else:
        labels = None
    audio = run_generator(
        generator, z, args.batch_size, device, progress=len(z) > args.batch_size, labels=labels,
        to_audio=model.to_audio,
    )
    written = write_samples(audio, sample_rate, args.outdir, names)
    if args.grid:
        panels, columns = np.arange(len(audio)), args.interpolate
        if words is not None and len(words) > 1 and args.interpolate is None:
            per = min(args.num, max(1, 64 // len(words)))  # one row per word
            panels = np.array([j * args.num + i for j in range(len(words)) for i in range(per)])
            columns = per
        shown = [names[i] for i in panels]
        save_spectrogram_grid(
            audio[panels],
            sample_rate,
            args.grid,
            titles=shown if len(shown) <= 64 else None,
            columns=columns,
        )
    print(
        f"wrote {len(written)} clips ({audio.shape[-1] / sample_rate:.3f} s at {sample_rate} Hz) to "
        f"{Path(args.outdir)} from {model.path} (step {model.step})",
        file=sys.stderr,
    )
    return 0
