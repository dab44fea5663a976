"""`audiogan convert [-m CKPT] --direction A2B|B2A INPUT... [-o OUTDIR] [--plot]`: voice conversion.

Files and folders (searched recursively for .wav/.flac/.ogg) are converted with WORLD at the model's rate into
OUTDIR (``<stem>.wav`` for files; folders keep their layout). Everything needed comes from the checkpoint;
without ``-m`` the built-in model is used (``audiogan models``). ``--plot`` writes ``<output>.png`` beside
each output: the input's and the output's log-mel spectrograms.
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
    p.add_argument("-m", "--model",
                   help="cyclegan_vc2 checkpoint file, experiment dir or builtin:NAME (default: the built-in "
                        "model, SF1 (female) <-> TM1 (male); see `audiogan models`)")
    p.add_argument("--direction", choices=("A2B", "B2A"), default="A2B",
                   help="A2B: speaker A -> speaker B of training (default; built-in: female -> male); "
                        "B2A: the reverse")
    p.add_argument("-o", "--outdir", default="converted", help="output folder (default: ./converted)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    p.add_argument("--plot", action="store_true", help="write <output>.png: before/after spectrograms")
    p.add_argument(
        "-q", "--quiet", "--no-progress", dest="quiet", action="store_true", help="no progress bars"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from audiogan.devices import resolve_device
    from audiogan.inference.convert import VoiceConverter, convert_files, plan_outputs
    from audiogan.pretrained import resolve_model

    device = resolve_device(args.device)
    model = resolve_model(args.model, "cyclegan_vc2")
    plan_outputs(args.inputs, args.outdir)  # bad inputs or clashing outputs fail before the model loads
    converter = VoiceConverter.from_checkpoint(model, args.direction, device)
    src, tgt = converter.speakers
    written = convert_files(converter, args.inputs, args.outdir, progress=not args.quiet)
    note = ""
    if args.plot:
        from audiogan.plots import plot_before_after

        pairs = dict((out.resolve(), f) for f, out in plan_outputs(args.inputs, args.outdir))
        pngs = [plot_before_after(pairs[w.resolve()], w, "converted") for w in written]
        note = f"; spectrograms: {pngs[0]}{' ...' if len(pngs) > 1 else ''}" if pngs else ""
    print(f"converted {len(written)} file(s) {args.direction} ({src} -> {tgt}) -> {args.outdir}{note}",
          file=sys.stderr)
    return 0
