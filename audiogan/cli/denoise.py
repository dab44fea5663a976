"""`audiogan denoise [-m CKPT | -m builtin:NAME | --baseline logmmse|noisereduce] INPUT...
(-o OUTDIR | --output FILE)`.

Enhances speech with a trained SEGAN/SEGAN+ or ctfgan generator: without ``-m`` the built-in default model
(`audiogan models`). Inputs are files or folders (searched recursively for wav/flac/ogg) at any sample rate
and channel count; each output keeps its input's rate, channels, length and format, and never replaces an
input. Files are processed in blocks, so memory does not grow with their length. bf16 autocast is on where
it is fast (CUDA, CPUs with AMX); ``--fp32`` turns it off. ``--plot`` writes ``<output>.png`` beside each
output: the before/after log-mel spectrograms.
"""

from __future__ import annotations

import argparse

from audiogan.cli._common import positive_int


def _overlap(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = -1.0
    if not 0.0 <= v <= 0.5:
        raise argparse.ArgumentTypeError(f"expected a fraction of the window in [0, 0.5], got '{text}'")
    return v


DEFAULT_OVERLAP = 0.25  # SEGAN: same dev scores as 0.5 (egs/mini/segan/RESULTS.md), 1.5x fewer windows
CTFGAN_OVERLAP = 0.125  # ctfgan: 0.5 s of its 4 s windows (= inference.denoise.DEFAULT_OVERLAPS)


def register(sub) -> None:
    p = sub.add_parser(
        "denoise",
        help="enhance noisy speech with a SEGAN checkpoint",
        description="Enhance noisy speech with a trained SEGAN/SEGAN+ generator (windows of the training "
        "length, 50 % overlap-add, pre-/de-emphasis, any rate and channel count, output at the input's "
        "rate).",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "-m",
        "--model",
        default=None,
        metavar="CKPT",
        help="SEGAN checkpoint file, an experiment dir (its best.pt, else its latest checkpoint) or "
        "builtin:NAME (default: the built-in default model; see `audiogan models`)",
    )
    src.add_argument(
        "--baseline",
        choices=("logmmse", "noisereduce"),
        default=None,
        help="enhance with a classical method instead of a model: logmmse (log-MMSE, package logmmse) or "
        "noisereduce (spectral gating with its defaults, package noisereduce)",
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
        type=positive_int,
        default=8,
        metavar="N",
        help="windows per generator call (default 8; larger is faster until memory runs out)",
    )
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    prec = p.add_mutually_exclusive_group()
    prec.add_argument("--bf16", action="store_true", help="force bfloat16 autocast (default: on where fast)")
    prec.add_argument("--fp32", action="store_true", help="no bf16 autocast, even where it is fast")
    p.add_argument(
        "--overlap",
        type=_overlap,
        default=None,
        metavar="F",
        help=f"cross-fade between windows as a fraction of the window, 0..0.5 (default {DEFAULT_OVERLAP} for "
        f"SEGAN, {CTFGAN_OVERLAP} of ctfgan's 4 s windows; smaller is faster)",
    )
    p.add_argument("--plot", action="store_true", help="write <output>.png: before/after spectrograms")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator's latent z (default 0)")
    p.add_argument(
        "-q", "--quiet", "--no-progress", dest="quiet", action="store_true", help="no progress bars"
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="a file that fails does not stop the run: the rest are enhanced, the failures listed (exit 2)",
    )
    p.set_defaults(func=run)


def _resolve_enhancer(spec: str | None):
    """``-m``: a checkpoint, or a built-in of either enhancement family (SEGAN or ctfgan). Without ``-m``:
    ``DEFAULTS["denoise"]`` when the registry names one (either family), else the SEGAN default."""
    from audiogan.pretrained import BUILTINS, DEFAULTS, PREFIX, resolve_model

    if spec is None and DEFAULTS.get("denoise") in BUILTINS:
        spec = PREFIX + DEFAULTS["denoise"]
    name = spec[len(PREFIX) :] if spec and spec.startswith(PREFIX) else None
    if name in BUILTINS and BUILTINS[name].task == "ctfgan":
        return resolve_model(spec, "ctfgan")
    return resolve_model(spec, "segan")


def run(args: argparse.Namespace) -> int:
    import sys

    from audiogan.devices import resolve_device
    from audiogan.inference.denoise import bf16_is_fast, denoise_files, load_enhancer, plan_outputs

    jobs = plan_outputs(args.inputs, outdir=args.outdir, output=args.output)
    device = resolve_device(args.device)
    if args.baseline:
        from audiogan.inference.classical import load_classical

        enhancer = load_classical(args.baseline)
        what = args.baseline
    else:
        model = _resolve_enhancer(args.model)
        bf16 = args.bf16 or (not args.fp32 and bf16_is_fast(device))
        enhancer = load_enhancer(
            model, batch_size=args.batch_size, device=device, bf16=bf16, seed=args.seed, overlap=args.overlap
        )
        what = args.model or "the built-in model"
    failures: list | None = [] if args.keep_going else None
    results = denoise_files(enhancer, jobs, progress=not args.quiet, failures=failures)
    if args.plot:
        from audiogan.plots import plot_before_after

        for r in results:
            r["plot"] = str(plot_before_after(r["input"], r["output"], "enhanced"))
    scaled = [r for r in results if r["gain"] < 1.0]
    seconds = sum(r["seconds"] for r in results)
    print(
        f"denoised {len(results)} file(s), {seconds:.1f} s of audio with {what}"
        + (f"; {len(scaled)} scaled down to avoid clipping" if scaled else "")
        + (f"; spectrograms: {results[0]['plot']}{' ...' if len(results) > 1 else ''}" if args.plot else ""),
        file=sys.stderr,
    )
    if failures:
        for src, message in failures:
            line = message if str(src) in message else f"{src}: {message}"
            print(f"audiogan: error: {line}", file=sys.stderr)
        print(
            f"audiogan: {len(failures)} of {len(jobs)} file(s) failed; the other {len(results)} were written",
            file=sys.stderr,
        )
        return 2
    return 0
