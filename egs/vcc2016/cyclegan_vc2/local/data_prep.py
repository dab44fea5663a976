#!/usr/bin/env python3
"""Data dirs for one VCC2016 speaker pair: train/dev/test per speaker plus parallel references for scoring.

Usage: data_prep.py DB_ROOT SRC TGT OUT [--n-dev N] [--n-test N] [--max-train N] [--non-parallel true|false]
                    [--set vcc2016|vcc2016_full]

DB_ROOT may be
  * the official layout: DB_ROOT/vcc2016_training/<spk>/1000NN.wav and DB_ROOT/evaluation_all/<spk>/2000NN.wav
    -> test = the evaluation set, dev = the last N training utterances, train = the rest;
  * the project corpus (DB_ROOT/manifest.tsv, files vcc2016/<spk>/1000NN.flac, 30 training utterances per
    speaker, no evaluation set), or one folder per speaker (DB_ROOT/<spk>/*.wav|flac)
    -> test = the last --n-test utterances, dev = the --n-dev before them, train = the rest;
  * the project corpus with --set vcc2016_full (files vcc2016_full/<spk>/1000NN.flac, NN = 001-162, and for
    SF1/SM1/TF1/TM1 the evaluation utterances vcc2016_full/<spk>/2000NN.flac, NN = 006-054)
    -> train = all 162 training utterances, dev = the first --n-dev evaluation utterances, test = the rest of
    them (--n-test is not used): test is never trained on, and never selected on (dev is).

Writes OUT/{train,dev,test}_<spk>/{wav.scp,utt2spk,spk2utt} for both speakers (utterance id <spk>_<stem>) and
OUT/test_<spk>_ref/wav.scp: for every test utterance of <spk>, the OTHER speaker's recording of the same
sentence (VCC2016 is parallel), keyed by <spk>'s utterance id, as the MCD reference of its conversion.

With --non-parallel true (the CycleGAN-VC protocol) the source speaker trains on the first half of its
training sentences and the target on the second half, so no training sentence is shared. With false both
speakers keep every training sentence: the CycleGAN trainer still samples them unpaired (the "all 162
unpaired" setting on the full set), and the GMM baseline uses them as parallel pairs.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from audiogan.data.datadir import utt2spk_to_spk2utt, write_table

AUDIO = (".wav", ".flac")


def _files(folder: Path) -> dict[str, Path]:
    found = sorted(folder.iterdir())
    return {p.stem: p.resolve() for p in found if p.suffix.lower() in AUDIO and p.is_file()}


def speaker_lists(db: Path, spk: str, n_dev: int, n_test: int, subset: str = "vcc2016"
                  ) -> dict[str, dict[str, Path]]:
    """``{"train"|"dev"|"test": {stem: path}}`` for one speaker (``subset``: the manifest's set)."""
    if (db / "vcc2016_training").is_dir():
        train_dir, eval_dir = db / "vcc2016_training" / spk, db / "evaluation_all" / spk
        if not train_dir.is_dir():
            sys.exit(f"data_prep.py: no speaker '{spk}' in {db / 'vcc2016_training'}")
        pool = _files(train_dir)
        test = _files(eval_dir) if eval_dir.is_dir() else {}
        if not test:
            sys.exit(f"data_prep.py: no evaluation utterances in {eval_dir}")
    else:
        manifest = db / "manifest.tsv"
        if manifest.is_file():  # the project corpus: select by the manifest, never by globbing
            with open(manifest, newline="") as f:
                rows = [r for r in csv.DictReader(f, delimiter="\t") if r["set"] == subset]
            rows = sorted((r for r in rows if r["speaker"] == spk), key=lambda r: r["path"])
            pool = {Path(r["path"]).stem: (db / r["path"]).resolve() for r in rows}
            if not pool:
                sys.exit(f"data_prep.py: no speaker '{spk}' in set '{subset}' of {manifest}")
            evaluation = sorted(s for s in pool if s.startswith("2000"))  # VCC2016's 2000NN evaluation ids
            if evaluation:
                if len(evaluation) <= n_dev:
                    sys.exit(f"data_prep.py: {spk} has {len(evaluation)} evaluation utterances; need more "
                             "than --n-dev")
                held_out = set(evaluation)
                train = {s: p for s, p in pool.items() if s not in held_out}
                if not train:
                    sys.exit(f"data_prep.py: {spk} has no training utterances")
                return {"train": train, "dev": {s: pool[s] for s in evaluation[:n_dev]},
                        "test": {s: pool[s] for s in evaluation[n_dev:]}}
        elif (db / spk).is_dir():
            pool = _files(db / spk)
        else:
            sys.exit(f"data_prep.py: no speaker '{spk}' under {db} (expected {db / spk} or the official one)")
        if len(pool) < n_test + n_dev + 2:
            sys.exit(f"data_prep.py: {spk} has {len(pool)} utterances; need more than --n-test + --n-dev + 1")
        stems = sorted(pool)
        test = {s: pool[s] for s in stems[len(stems) - n_test :]}
        pool = {s: pool[s] for s in stems[: len(stems) - n_test]}
    stems = sorted(pool)
    dev = {s: pool[s] for s in stems[len(stems) - n_dev :]} if n_dev else {}
    train = {s: pool[s] for s in stems[: len(stems) - n_dev]}
    if not train:
        sys.exit(f"data_prep.py: {spk} has no training utterances left")
    return {"train": train, "dev": dev, "test": test}


def write_dir(out: Path, spk: str, files: dict[str, Path]) -> None:
    utt2spk = {f"{spk}_{s}": spk for s in files}
    write_table(out / "wav.scp", {f"{spk}_{s}": str(p) for s, p in files.items()})
    write_table(out / "utt2spk", utt2spk)
    write_table(out / "spk2utt", utt2spk_to_spk2utt(utt2spk))


def main() -> int:
    p = argparse.ArgumentParser(description="VCC2016 data dirs for one speaker pair")
    p.add_argument("db_root")
    p.add_argument("src")
    p.add_argument("tgt")
    p.add_argument("out")
    p.add_argument("--n-dev", type=int, default=2)
    p.add_argument("--n-test", type=int, default=5)
    p.add_argument("--max-train", type=int, default=0, help=">0: at most N training utterances per speaker")
    p.add_argument("--non-parallel", choices=("true", "false"), default="true")
    p.add_argument("--set", default="vcc2016", help="manifest set of the project corpus (vcc2016_full: all "
                   "162 training utterances, dev/test from the 2000NN evaluation utterances)")
    args = p.parse_args()
    db, out = Path(args.db_root), Path(args.out)
    if args.src == args.tgt:
        sys.exit("data_prep.py: --src and --tgt must differ")
    lists = {spk: speaker_lists(db, spk, args.n_dev, args.n_test, args.set) for spk in (args.src, args.tgt)}
    if args.non_parallel == "true":
        for spk, first_half in ((args.src, True), (args.tgt, False)):
            stems = sorted(lists[spk]["train"])
            half = len(stems) // 2
            keep = stems[:half] if first_half else stems[half:]
            lists[spk]["train"] = {s: lists[spk]["train"][s] for s in keep}
    if args.max_train > 0:
        for spk in lists:
            stems = sorted(lists[spk]["train"])[: args.max_train]
            lists[spk]["train"] = {s: lists[spk]["train"][s] for s in stems}
    for spk, sets in lists.items():
        for name, files in sets.items():
            if files:
                write_dir(out / f"{name}_{spk}", spk, files)
    for spk, other in ((args.src, args.tgt), (args.src, args.tgt)[::-1]):
        test, refs = lists[spk]["test"], lists[other]["test"]
        missing = sorted(set(test) - set(refs))
        if missing:
            sys.exit(f"data_prep.py: {other} has no recording of test sentence {missing[0]} of {spk}")
        write_table(out / f"test_{spk}_ref" / "wav.scp", {f"{spk}_{s}": str(refs[s]) for s in test})
    for spk, sets in lists.items():
        print(f"{spk}: " + ", ".join(f"{len(v)} {k}" for k, v in sets.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
