#!/usr/bin/env python3
"""Data dirs of VoiceBank-DEMAND: train (26 speakers), dev (p226, p287 held out of train), test (2 speakers).

Usage: data_prep.py DB16K DATA [--dev-speakers p226,p287] [--max-utts N]
DB16K holds {clean,noisy}_{trainset_28spk,testset}_wav (16 kHz). Each data dir gets wav.scp (noisy),
spk1.scp (clean), utt2spk and spk2utt with absolute paths; pairs are matched by file name (= utterance id).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path


def write_dir(out: Path, utts: list[str], noisy: Path, clean: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    spk2utt: dict[str, list[str]] = defaultdict(list)
    with open(out / "wav.scp", "w") as w, open(out / "spk1.scp", "w") as c, open(out / "utt2spk", "w") as u:
        for utt in utts:
            spk = utt.split("_")[0]
            w.write(f"{utt} {(noisy / f'{utt}.wav').resolve()}\n")
            c.write(f"{utt} {(clean / f'{utt}.wav').resolve()}\n")
            u.write(f"{utt} {spk}\n")
            spk2utt[spk].append(utt)
    with open(out / "spk2utt", "w") as s:
        for spk in sorted(spk2utt):
            s.write(f"{spk} {' '.join(spk2utt[spk])}\n")
    print(f"data_prep.py: {out}: {len(utts)} utterances, {len(spk2utt)} speakers")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db16k")
    ap.add_argument("data")
    ap.add_argument("--dev-speakers", default="p226,p287")
    ap.add_argument("--max-utts", type=int, default=0, help=">0: keep N utterances per set (smoke tests)")
    args = ap.parse_args()
    db, data = Path(args.db16k), Path(args.data)
    dev_spk = set(args.dev_speakers.split(","))
    for part, sets in (("trainset_28spk", ("train", "dev")), ("testset", ("test",))):
        noisy, clean = db / f"noisy_{part}_wav", db / f"clean_{part}_wav"
        n_utts = {p.stem for p in noisy.glob("*.wav")}
        c_utts = {p.stem for p in clean.glob("*.wav")}
        if not n_utts or n_utts != c_utts:
            print(f"data_prep.py: {noisy} and {clean} must hold the same non-empty set of files "
                  f"({len(n_utts)} vs {len(c_utts)})", file=sys.stderr)
            return 1
        utts = sorted(n_utts)
        groups = {"test": utts} if sets == ("test",) else {
            "train": [u for u in utts if u.split("_")[0] not in dev_spk],
            "dev": [u for u in utts if u.split("_")[0] in dev_spk],
        }
        for name, chosen in groups.items():
            if args.max_utts > 0:
                chosen = chosen[:: max(1, len(chosen) // args.max_utts)][: args.max_utts]
            if not chosen:
                print(f"data_prep.py: no utterances for {name}", file=sys.stderr)
                return 1
            write_dir(data / name, chosen, noisy, clean)
    return 0


if __name__ == "__main__":
    sys.exit(main())
