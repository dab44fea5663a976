"""`audiogan convert [-m CKPT] [--direction A2B|B2A | --source S --target T] INPUT... [-o OUTDIR] [--plot]`.

Voice conversion: files and folders (searched recursively for .wav/.flac/.ogg) are converted with WORLD at the
model's rate into OUTDIR (``<stem>.wav`` for files; folders keep their layout). Everything needed comes from
the checkpoint: a CycleGAN-VC2 model (one speaker pair; ``--direction``, or ``--source``/``--target`` naming
its two speakers) or a StarGAN-VC2 model (many-to-many; ``--source``/``--target`` name any two of its
speakers). Without ``-m`` the built-in model is used (``audiogan models`` lists the built-ins and their
speakers). ``--plot`` writes ``<output>.png`` beside each output: the input's and the output's log-mel
spectrograms.
"""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "convert", help="voice conversion with a CycleGAN-VC2 or StarGAN-VC2 checkpoint",
        description="Convert speech of one training speaker to another with a trained CycleGAN-VC2 (one "
                    "pair) or StarGAN-VC2 (many-to-many) model. Inputs at other rates or with several "
                    "channels are resampled/downmixed with a notice.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("-m", "--model",
                   help="cyclegan_vc2 or stargan_vc2 checkpoint file, experiment dir or builtin:NAME "
                        "(default: the built-in model, SF1 (female) <-> TM1 (male); see `audiogan models`)")
    p.add_argument("--direction", choices=("A2B", "B2A"), default=None,
                   help="CycleGAN-VC2: A2B: speaker A -> speaker B of training (default; built-in: female -> "
                        "male); B2A: the reverse")
    p.add_argument("--source", metavar="SPK", help="source speaker name (e.g. SF1); with --target")
    p.add_argument("--target", metavar="SPK", help="target speaker name (e.g. TM1); with --source")
    p.add_argument("-o", "--outdir", default="converted", help="output folder (default: ./converted)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    p.add_argument("--plot", action="store_true", help="write <output>.png: before/after spectrograms")
    p.add_argument(
        "-q", "--quiet", "--no-progress", dest="quiet", action="store_true", help="no progress bars"
    )
    p.set_defaults(func=run)


def _model(spec: str | None, source: str | None, target: str | None):
    """The checkpoint to load: ``-m`` as given (a built-in of either family), else the default built-in; with
    --source/--target and no -m, the CycleGAN-VC2 built-in when it holds that pair, else the StarGAN-VC2 one
    when one ships."""
    from audiogan.inference.loading import model_speakers
    from audiogan.pretrained import BUILTINS, DEFAULTS, PREFIX, resolve_model

    if spec is not None:
        builtin = BUILTINS.get(spec.removeprefix(PREFIX)) if spec.startswith(PREFIX) else None
        task = builtin.task if builtin and builtin.task == "stargan_vc2" else "cyclegan_vc2"
        return resolve_model(spec, task)
    pair_model = resolve_model(None, "cyclegan_vc2")
    star = DEFAULTS.get("stargan_vc2")
    if source and star in BUILTINS and {source, target} - set(model_speakers(pair_model)):
        return BUILTINS[star].path
    return pair_model


def run(args: argparse.Namespace) -> int:
    from audiogan.devices import resolve_device
    from audiogan.inference.convert import convert_files, load_voice_converter, plan_outputs

    device = resolve_device(args.device)
    model = _model(args.model, args.source, args.target)
    plan_outputs(args.inputs, args.outdir)  # bad inputs or clashing outputs fail before the model loads
    converter = load_voice_converter(model, direction=args.direction, source=args.source, target=args.target,
                                     device=device)
    src, tgt = converter.speakers
    written = convert_files(converter, args.inputs, args.outdir, progress=not args.quiet)
    note = ""
    if args.plot:
        from audiogan.plots import plot_before_after

        pairs = dict((out.resolve(), f) for f, out in plan_outputs(args.inputs, args.outdir))
        pngs = [plot_before_after(pairs[w.resolve()], w, "converted") for w in written]
        note = f"; spectrograms: {pngs[0]}{' ...' if len(pngs) > 1 else ''}" if pngs else ""
    how = f"{args.direction} " if args.direction else ""
    print(f"converted {len(written)} file(s) {how}({src} -> {tgt}) -> {args.outdir}{note}", file=sys.stderr)
    return 0
