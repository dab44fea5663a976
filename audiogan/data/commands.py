"""The command line of ``python3 -m audiogan.data.commands`` (the engine of ``recipes/utils/*.sh``); the
subcommands are listed in :mod:`audiogan.data.datadir`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audiogan.data.datadir import DataDir
from audiogan.data.operations import (
    collect_outputs,
    combine_data_dirs,
    compute_utt2dur,
    fix_data_dir,
    link_audio,
    split_data_dir,
    subset_data_dir,
)
from audiogan.data.tables import c_sorted, read_table
from audiogan.errors import AudioError, DataDirError


def _read_id_list(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except OSError as e:
        raise DataDirError(f"{path}: cannot read ({e.strerror})") from None
    return [line.split()[0] for line in lines if line.strip()]


def select_subset(
    d: DataDir, args: argparse.Namespace, utt2dur_hint: str = "run steps/compute_durations.sh"
) -> list[str]:
    """The utterances a subset command asks for (``--utt-list``, ``--spk-list``, ``--first`` ... ``--even``);
    shared by ``utils/subset_data_dir.sh`` and ``audiogan data subset``."""
    utts = d.utts
    if args.utt_list:
        return _read_id_list(args.utt_list)
    if args.spk_list:
        spks = set(_read_id_list(args.spk_list))
        unknown = c_sorted(spks - set(d.speakers))
        if unknown:
            raise DataDirError(f"{d.path}: speaker '{unknown[0]}' of {args.spk_list} is not in this dir")
        return [u for u in utts if d.utt2spk[u] in spks]
    n = next(v for v in (args.first, args.last, args.per_spk, args.shortest, args.even) if v is not None)
    if n < 1:
        raise DataDirError(f"number of utterances must be positive, got {n}")
    if args.per_spk is not None:
        return [u for us in d.spk2utt.values() for u in us[:n]]
    if n > len(utts):
        raise DataDirError(f"{d.path}: asked for {n} utterances but it has only {len(utts)}")
    if args.first is not None:
        return utts[:n]
    if args.last is not None:
        return utts[-n:]
    if args.shortest is not None:
        if d.utt2dur is None:
            raise DataDirError(f"{d.path}: --shortest needs utt2dur ({utt2dur_hint})")
        return sorted(utts, key=lambda u: (d.utt2dur[u], u))[:n]
    return [utts[(i * len(utts)) // n] for i in range(n)]  # evenly spaced, like Kaldi's default


# Error messages name the script the user ran.
_PROGS = {"validate": "validate_data_dir.sh", "fix": "fix_data_dir.sh", "subset": "subset_data_dir.sh",
          "combine": "combine_data.sh", "split": "split_data.sh"}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python3 -m audiogan.data.commands``; user errors print one line and exit 1."""
    parser = argparse.ArgumentParser(prog="datadir", description="Kaldi-style data dir tools.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("validate")
    p.add_argument("--no-feats", action="store_true")
    p.add_argument("--no-text", action="store_true")
    p.add_argument("--no-wav", action="store_true")
    p.add_argument("data")
    p = sub.add_parser("fix")
    p.add_argument("data")
    p = sub.add_parser("subset")
    g = p.add_mutually_exclusive_group(required=True)
    for opt in ("--first", "--last", "--per-spk", "--shortest", "--even"):
        g.add_argument(opt, type=int, metavar="N")
    g.add_argument("--utt-list", metavar="FILE")
    g.add_argument("--spk-list", metavar="FILE")
    p.add_argument("src")
    p.add_argument("dest")
    p = sub.add_parser("combine")
    p.add_argument("dest")
    p.add_argument("srcs", nargs="+")
    p = sub.add_parser("split")
    p.add_argument("--per-utt", action="store_true")
    p.add_argument("data")
    p.add_argument("n", type=int)
    p = sub.add_parser("utt2dur")
    p.add_argument("data")
    p = sub.add_parser("link-audio")
    p.add_argument("--scp", default="wav.scp")
    p.add_argument("data")
    p.add_argument("dest")
    p = sub.add_parser("collect")
    p.add_argument("data")
    p.add_argument("audio_dir")
    p.add_argument("out")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "validate":
            DataDir(args.data).validate(no_feats=args.no_feats, no_text=args.no_text, no_wav=args.no_wav)
            n = len(read_table(Path(args.data) / "utt2spk"))
            print(f"validate_data_dir: {args.data} is valid ({n} utterances)")
        elif args.cmd == "fix":
            kept, before = fix_data_dir(args.data)
            print(f"fix_data_dir: {args.data}: kept {kept} of {before} utterances (backup in "
                  f"{Path(args.data) / '.backup'})")
        elif args.cmd == "subset":
            utts = select_subset(DataDir(args.src), args)
            d = subset_data_dir(args.src, args.dest, utts)
            print(f"subset_data_dir: wrote {len(d.utts)} utterances to {args.dest}")
        elif args.cmd == "combine":
            d, dropped = combine_data_dirs(args.dest, args.srcs)
            if dropped:
                print(f"combine_data: not combined (missing in some sources): {' '.join(dropped)}",
                      file=sys.stderr)
            print(f"combine_data: wrote {len(d.utts)} utterances to {args.dest}")
        elif args.cmd == "split":
            parts = split_data_dir(args.data, args.n, per_utt=args.per_utt)
            print(parts[0].path.parent)
        elif args.cmd == "utt2dur":
            durs = compute_utt2dur(args.data)
            print(f"utt2dur: {len(durs)} utterances, {sum(durs.values()) / 3600:.3f} h in {args.data}")
        elif args.cmd == "link-audio":
            n = link_audio(args.data, args.dest, scp=args.scp)
            print(f"link-audio: {n} files in {args.dest}")
        elif args.cmd == "collect":
            d = collect_outputs(args.data, args.audio_dir, args.out)
            print(f"collect: {len(d.utts)} utterances in {args.out}")
    except (DataDirError, AudioError) as e:
        print(f"{_PROGS.get(args.cmd, args.cmd)}: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
