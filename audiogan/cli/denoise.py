"""`audiogan denoise -m CKPT INPUT... (-o OUTDIR | --output FILE) [--batch-size N] [--device D] [--bf16]`.

Enhances speech with a trained SEGAN/SEGAN+ generator. Inputs are files or folders (searched recursively for
wav/flac/ogg) at any sample rate and channel count; each output keeps its input's rate, channels, length and
format, and never replaces an input. Files are processed in blocks, so memory does not grow with their length.
"""

from __future__ import annotations

import argparse


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'")
    return n


def register(sub) -> None:
    p = sub.add_parser(
        "denoise",
        help="enhance noisy speech with a SEGAN checkpoint",
        description="Enhance noisy speech with a trained SEGAN/SEGAN+ generator (windows of the training "
        "length, 50 % overlap-add, pre-/de-emphasis, any rate and channel count, output at the input's "
        "rate).",
    )
    p.add_argument(
        "-m",
        "--model",
        required=True,
        metavar="CKPT",
        help="SEGAN checkpoint file, or an experiment dir (its best.pt, else its latest checkpoint)",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="audio files or folders (recursive: wav, flac, ogg)"
    )
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument(
        "-o",
        "--outdir",
        metavar="OUTDIR",
        help="output folder (a folder input's files keep their relative paths)",
    )
    out.add_argument("--output", metavar="FILE", help="output file (exactly one input file)")
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=8,
        metavar="N",
        help="windows per generator call (default 8; larger is faster until memory runs out)",
    )
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    p.add_argument(
        "--bf16", action="store_true", help="bfloat16 autocast (CPU or CUDA); see docs for its speed"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the generator's latent z (default 0)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from audiogan.cli._common import resolve_device
    from audiogan.inference.denoise import denoise_files, load_enhancer, plan_outputs

    jobs = plan_outputs(args.inputs, outdir=args.outdir, output=args.output)
    enhancer = load_enhancer(
        args.model,
        batch_size=args.batch_size,
        device=resolve_device(args.device),
        bf16=args.bf16,
        seed=args.seed,
    )
    results = denoise_files(enhancer, jobs, progress=not args.quiet)
    scaled = [r for r in results if r["gain"] < 1.0]
    seconds = sum(r["seconds"] for r in results)
    print(
        f"denoised {len(results)} file(s), {seconds:.1f} s of audio"
        + (f"; {len(scaled)} scaled down to avoid clipping" if scaled else ""),
        file=sys.stderr,
    )
    return 0
