"""`audiogan report EXPDIR --system LABEL=PATH ... [-o DIR]`: a listening page for an experiment.

Writes ``EXPDIR/report/index.html`` (or ``-o DIR``): the experiment's RESULTS.md as tables, any ``--image``
pictures, and for ``-n`` seeded utterances an audio player and a log-mel spectrogram per system. The folder
is self-contained (audio copied in, relative links, no network fetches). See :mod:`audiogan.report`.
"""

from __future__ import annotations

import argparse
import sys

from audiogan.cli._common import positive_int


def _pair(text: str) -> tuple[str, str]:
    label, sep, path = text.partition("=")
    if not sep or not label or not path:
        raise argparse.ArgumentTypeError(f"expected LABEL=PATH, got '{text}'")
    return label, path


def register(sub) -> None:
    p = sub.add_parser(
        "report", help="write a listening page (scores, players, spectrograms) for an experiment",
        description="Write EXPDIR/report/index.html: the scores of EXPDIR/RESULTS.md, pictures, and for a "
        "seeded sample of utterances an audio player and a spectrogram per system, side by side. Example "
        "(SEGAN): audiogan report exp/segan --system noisy=data/test --system model=exp/segan/enhanced_test "
        "--system clean=data/test/spk1.scp",
    )
    p.add_argument("expdir", metavar="EXPDIR", help="the experiment folder")
    p.add_argument("--system", action="append", type=_pair, required=True, metavar="LABEL=PATH",
                   help="a column: folder, data dir (wav.scp) or .scp file; repeat, in display order")
    p.add_argument("--image", action="append", type=_pair, default=[], metavar="CAPTION=PNG",
                   help="a picture shown above the samples (e.g. a sample grid); repeatable")
    p.add_argument("-n", "--num", type=positive_int, default=8, help="utterances to show (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed of the utterance choice (default 0)")
    p.add_argument("--unpaired", action="store_true",
                   help="columns are not the same utterances (real vs generated): each shows its own picks")
    p.add_argument("--title", help="page title (default: from EXPDIR)")
    p.add_argument("--results", help="Markdown scores to show (default EXPDIR/RESULTS.md)")
    p.add_argument("-o", "--outdir", help="output folder (default EXPDIR/report)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from audiogan.report import build_report

    page = build_report(args.expdir, args.system, args.outdir, title=args.title, results=args.results,
                        images=args.image, n=args.num, seed=args.seed, paired=not args.unpaired)
    print(f"report: {page}", file=sys.stderr)
    return 0
