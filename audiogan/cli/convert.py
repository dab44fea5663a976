"""`audiogan convert -m CKPT --direction A2B|B2A INPUT... [-o OUTDIR]`: CycleGAN-VC2 voice conversion.

Files and folders (searched recursively for .wav/.flac/.ogg) are converted with WORLD at the model's rate into
OUTDIR (``<stem>.wav`` for files; folders keep their layout). Everything needed comes from the checkpoint.
"""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "convert", help="voice conversion with a CycleGAN-VC2 checkpoint",
        description="Convert speech of speaker A to speaker B (or back) with a trained CycleGAN-VC2 model. "
                    "Inputs at other rates or with several channels are resampled/downmixed with a notice.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("-m", "--model", required=True, help="cyclegan_vc2 checkpoint file or experiment dir")
    p.add_argument("--direction", choices=("A2B", "B2A"), default="A2B",
                   help="A2B: source speaker -> target speaker of training (default); B2A: the reverse")
    p.add_argument("-o", "--outdir", default="converted", help="output folder (default: ./converted)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from audiogan.cli._common import resolve_device
    from audiogan.inference.convert import VoiceConverter, convert_files

    converter = VoiceConverter.from_checkpoint(args.model, args.direction, resolve_device(args.device))
    written = convert_files(converter, args.inputs, args.outdir, progress=not args.no_progress)
    print(f"converted {len(written)} file(s) {args.direction} -> {args.outdir}", file=sys.stderr)
    return 0
