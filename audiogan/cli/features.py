"""`audiogan features {extract,merge,stats}`: the WORLD feature archive of a data dir (CycleGAN-VC2).

A front end to :mod:`audiogan.features.commands` with the same options; the recipes run ``extract`` as one job
per ``--part`` through ``utils/run.pl``, then ``merge`` and ``stats``.
"""

from __future__ import annotations

import argparse
import sys

from audiogan.cli._common import positive_int

F0_METHODS = ("harvest", "dio")  # audiogan.features.world.F0_METHODS, repeated so --help starts fast

# (flag, argparse options) of `extract` beyond --datadir; values are passed on as given, the library
# applies its defaults (WorldConfig) to the rest.
_EXTRACT = [
    ("--outdir", dict(metavar="DIR", help="where the .npz archives go (default: DATADIR/feats)")),
    ("--jobs", dict(type=positive_int, metavar="N", help="worker processes (default 1)")),
    ("--part", dict(type=positive_int, metavar="J",
                    help="with --nparts: do only chunk J (1-based) -> OUTDIR/feats.J.scp")),
    ("--nparts", dict(type=positive_int, metavar="N",
                      help="number of chunks the utterance list is split into")),
    ("--sample-rate", dict(type=positive_int, metavar="HZ",
                           help="analysis rate; files are resampled (default 16000)")),
    ("--frame-period", dict(type=float, metavar="MS", help="frame period in ms (default 5)")),
    ("--f0-floor", dict(type=float, metavar="HZ", help="lowest F0 searched (default 71)")),
    ("--f0-ceil", dict(type=float, metavar="HZ", help="highest F0 searched (default 800)")),
    ("--f0-method", dict(choices=F0_METHODS, help="F0 estimator: harvest (default) or dio (faster)")),
    ("--coded-dim", dict(type=positive_int, metavar="D", help="coded envelope dimension (default 36)")),
    ("--fft-size", dict(type=positive_int, metavar="N", help="FFT size (default: pyworld's for the rate)")),
    ("--envelope", dict(choices=("coded", "mcep"),
                        help="coded_sp: WORLD's coded envelope (default) or SPTK mel-cepstra")),
    ("--mcep-alpha", dict(type=float, metavar="A",
                          help="mel-cepstrum all-pass constant (default: the scorer's, 0.41 at 16 kHz)")),
]


def register(sub) -> None:
    p = sub.add_parser(
        "features", help="WORLD features of a data dir: extract, merge parts, speaker statistics",
        description="WORLD feature archive of a Kaldi-style data dir: DATADIR/feats.scp (f0, coded_sp and "
                    "coded_ap of each utterance, stored as .npz under OUTDIR), DATADIR/world.json (the "
                    "analysis settings) and DATADIR/stats/<spk>.json (docs/world.md).")
    kinds = p.add_subparsers(dest="features_kind", metavar="KIND")

    e = kinds.add_parser(
        "extract", help="F0, coded envelope and aperiodicity of every utterance in DATADIR/wav.scp",
        description="Extract WORLD features (f0, coded_sp, coded_ap) of every utterance in DATADIR/wav.scp "
                    "-> DATADIR/feats.scp and DATADIR/world.json; with --part J --nparts N only chunk J, "
                    "indexed in OUTDIR/feats.J.scp (join the parts with `audiogan features merge`).")
    e.add_argument("--datadir", required=True, metavar="DATADIR", help="Kaldi-style data dir with wav.scp")
    for flag, kw in _EXTRACT:
        e.add_argument(flag, default=None, **kw)
    e.add_argument("--no-progress", action="store_true", help="no progress bar")
    e.set_defaults(func=run_extract)

    m = kinds.add_parser(
        "merge", help="join OUTDIR/feats.{1..N}.scp into DATADIR/feats.scp",
        description="Join the parts OUTDIR/feats.{1..N}.scp of `audiogan features extract --part J "
                    "--nparts N` into DATADIR/feats.scp; an utterance of wav.scp without features is an "
                    "error.")
    m.add_argument("--datadir", required=True, metavar="DATADIR")
    m.add_argument("--outdir", default=None, metavar="DIR", help="default: DATADIR/feats")
    m.add_argument("--nparts", type=positive_int, required=True, metavar="N")
    m.set_defaults(func=run_merge)

    s = kinds.add_parser(
        "stats", help="per-speaker statistics -> DATADIR/stats/<spk>.json",
        description="Per-speaker statistics of the features in DATADIR/feats.scp (log-F0 mean/std of voiced "
                    "frames, coded envelope mean/std) -> OUTDIR/<spk>.json.")
    s.add_argument("--datadir", required=True, metavar="DATADIR",
                   help="data dir with feats.scp (and utt2spk)")
    s.add_argument("--spk", action="append", default=None, metavar="SPK",
                   help="only this speaker (repeatable); default: all in utt2spk")
    s.add_argument("--outdir", default=None, metavar="DIR", help="default: DATADIR/stats")
    s.set_defaults(func=run_stats)

    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def _world(argv: list[str]) -> int:
    from audiogan.features import commands

    return commands.main(argv)


def _opt(argv: list[str], flag: str, value) -> None:
    if value is not None:
        argv.append(f"{flag}={value}")  # "=": values that start with "-" stay values


def run_extract(args: argparse.Namespace) -> int:
    argv = ["extract", f"--datadir={args.datadir}"]
    for flag, _ in _EXTRACT:
        _opt(argv, flag, getattr(args, flag[2:].replace("-", "_")))
    if args.no_progress:
        argv.append("--no-progress")
    return _world(argv)


def run_merge(args: argparse.Namespace) -> int:
    argv = ["merge", f"--datadir={args.datadir}", f"--nparts={args.nparts}"]
    _opt(argv, "--outdir", args.outdir)
    return _world(argv)


def run_stats(args: argparse.Namespace) -> int:
    argv = ["stats", f"--datadir={args.datadir}"]
    for spk in args.spk or []:
        argv.append(f"--spk={spk}")
    _opt(argv, "--outdir", args.outdir)
    return _world(argv)
