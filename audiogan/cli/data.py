"""`audiogan data {validate,fix,subset,split,combine,utt2dur,link-audio,collect}`: Kaldi-style data dirs.

The functions of :mod:`audiogan.data.operations` behind a command line; ``recipes/steps/*.sh`` call these.
(``recipes/utils/*.sh`` keep Kaldi's conventions: exit code 1 and messages named after the script.)
Nothing here imports torch unless audio has to be decoded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audiogan.cli._common import positive_int


def register(sub) -> None:
    p = sub.add_parser(
        "data", help="Kaldi-style data dirs: validate, fix, subset, split, combine, durations, audio links",
        description="Tools for Kaldi-style data dirs (wav.scp, utt2spk, spk2utt, ...; docs/data.md).")
    kinds = p.add_subparsers(dest="data_kind", metavar="KIND")

    v = kinds.add_parser(
        "validate", help="check a data dir (sorted unique keys, matching tables, readable entries)",
        description="Check DATA: tables sorted (LC_ALL=C) with unique keys, utt2spk/spk2utt consistent, "
                    "every table keyed by its utterances; prints the number of utterances.")
    v.add_argument("--no-feats", action="store_true", help="do not require feats.scp")
    v.add_argument("--no-text", action="store_true", help="do not require text")
    v.add_argument("--no-wav", action="store_true", help="do not require wav.scp")
    v.add_argument("data", metavar="DATA")
    v.set_defaults(func=run_validate)

    f = kinds.add_parser(
        "fix", help="sort the tables and keep only utterances present in all of them",
        description="Sort every table of DATA and drop utterances missing from some; the old tables are kept "
                    "in DATA/.backup.")
    f.add_argument("data", metavar="DATA")
    f.set_defaults(func=run_fix)

    s = kinds.add_parser(
        "subset", help="copy some utterances of SRC into DEST",
        description="Write the data dir DEST with the utterances of SRC picked by exactly one option.")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--first", type=positive_int, metavar="N", help="the first N utterances")
    g.add_argument("--last", type=positive_int, metavar="N", help="the last N utterances")
    g.add_argument("--per-spk", type=positive_int, metavar="N", help="the first N utterances of each speaker")
    g.add_argument("--shortest", type=positive_int, metavar="N", help="the N shortest (needs utt2dur)")
    g.add_argument("--even", type=positive_int, metavar="N", help="N evenly spaced utterances")
    g.add_argument("--utt-list", metavar="FILE", help="the utterances listed in FILE (first field)")
    g.add_argument("--spk-list", metavar="FILE", help="the utterances of the speakers listed in FILE")
    s.add_argument("src", metavar="SRC")
    s.add_argument("dest", metavar="DEST")
    s.set_defaults(func=run_subset)

    sp = kinds.add_parser(
        "split", help="split a data dir into N parts DATA/split<N>[utt]/{1..N}",
        description="Split DATA into N parts DATA/splitN/{1..N} (speakers kept whole) or, with --per-utt, "
                    "DATA/splitNutt/{1..N}; prints the folder of the parts.")
    sp.add_argument("--per-utt", action="store_true", help="split by utterance, not by speaker")
    sp.add_argument("data", metavar="DATA")
    sp.add_argument("n", type=positive_int, metavar="N")
    sp.set_defaults(func=run_split)

    c = kinds.add_parser(
        "combine", help="join data dirs SRC... into DEST",
        description="Join the data dirs SRC... into DEST; tables missing from some sources are left out.")
    c.add_argument("dest", metavar="DEST")
    c.add_argument("srcs", nargs="+", metavar="SRC")
    c.set_defaults(func=run_combine)

    u = kinds.add_parser(
        "utt2dur", help="write DATA/utt2dur (seconds per utterance)",
        description="Write DATA/utt2dur from audio headers, segments or by running wav.scp pipes "
                    "(steps/compute_durations.sh runs this in parallel).")
    u.add_argument("data", metavar="DATA")
    u.set_defaults(func=run_utt2dur)

    la = kinds.add_parser(
        "link-audio", help="a folder DEST/<utt>.<ext> of the audio of DATA (links, or decoded files)",
        description="Write DEST/<utt>.<ext> for every utterance of DATA: links to the audio files, decoded "
                    "WAV files for pipes and segments; for the commands that take files or folders.")
    la.add_argument("--scp", default="wav.scp", metavar="NAME", help="the table to read (default wav.scp)")
    la.add_argument("data", metavar="DATA")
    la.add_argument("dest", metavar="DEST")
    la.set_defaults(func=run_link_audio)

    co = kinds.add_parser(
        "collect", help="data dir OUT of processed audio AUDIO_DIR/<utt>.* with the tables of DATA",
        description="Write the data dir OUT whose wav.scp points at AUDIO_DIR/<utt>.* (outputs of denoise, "
                    "convert, ...) and whose other tables are those of DATA; every utterance needs an "
                    "output.")
    co.add_argument("data", metavar="DATA")
    co.add_argument("audio_dir", metavar="AUDIO_DIR")
    co.add_argument("out", metavar="OUT")
    co.set_defaults(func=run_collect)

    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def run_validate(args: argparse.Namespace) -> int:
    from audiogan.data.datadir import DataDir, read_table

    DataDir(args.data).validate(no_feats=args.no_feats, no_text=args.no_text, no_wav=args.no_wav)
    n = len(read_table(Path(args.data) / "utt2spk"))
    print(f"audiogan data validate: {args.data} is valid ({n} utterances)")
    return 0


def run_fix(args: argparse.Namespace) -> int:
    from audiogan.data.operations import fix_data_dir

    kept, before = fix_data_dir(args.data)
    print(f"audiogan data fix: {args.data}: kept {kept} of {before} utterances (backup in "
          f"{Path(args.data) / '.backup'})")
    return 0


def run_subset(args: argparse.Namespace) -> int:
    from audiogan.data.commands import select_subset
    from audiogan.data.datadir import DataDir
    from audiogan.data.operations import subset_data_dir

    utts = select_subset(DataDir(args.src), args, utt2dur_hint="run `audiogan data utt2dur`")
    d = subset_data_dir(args.src, args.dest, utts)
    print(f"audiogan data subset: wrote {len(d.utts)} utterances to {args.dest}")
    return 0


def run_split(args: argparse.Namespace) -> int:
    from audiogan.data.operations import split_data_dir

    parts = split_data_dir(args.data, args.n, per_utt=args.per_utt)
    print(parts[0].path.parent)
    return 0


def run_combine(args: argparse.Namespace) -> int:
    from audiogan.data.operations import combine_data_dirs

    d, dropped = combine_data_dirs(args.dest, args.srcs)
    if dropped:
        print(f"audiogan data combine: not combined (missing in some sources): {' '.join(dropped)}",
              file=sys.stderr)
    print(f"audiogan data combine: wrote {len(d.utts)} utterances to {args.dest}")
    return 0


def run_utt2dur(args: argparse.Namespace) -> int:
    from audiogan.data.operations import compute_utt2dur

    durs = compute_utt2dur(args.data)
    print(f"audiogan data utt2dur: {len(durs)} utterances, {sum(durs.values()) / 3600:.3f} h in {args.data}")
    return 0


def run_link_audio(args: argparse.Namespace) -> int:
    from audiogan.data.operations import link_audio

    n = link_audio(args.data, args.dest, scp=args.scp)
    print(f"audiogan data link-audio: {n} files in {args.dest}")
    return 0


def run_collect(args: argparse.Namespace) -> int:
    from audiogan.data.operations import collect_outputs

    d = collect_outputs(args.data, args.audio_dir, args.out)
    print(f"audiogan data collect: {len(d.utts)} utterances in {args.out}")
    return 0
