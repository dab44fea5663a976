#!/usr/bin/env python3
"""Clean-speech and noise data dirs of the mini SEGAN recipe, from AUDIOGAN_DATA's manifest.tsv.

Splits (speakers of dev/test never appear in train; train and test noises are disjoint):

    clean_train  vcc2016 SF1 SM1 TF1 TM1 + arctic clb + speech_commands yes/no/up/down/left/right
                 (speakers of the test clips left out) + fsdd (8 kHz recordings: telephone-band speech)
    clean_dev    arctic slt a0001-a0008
    clean_test   arctic slt a0009-a0030 + speech_commands on/off/stop/go (first clips)
    noise_train  sc_doing_the_dishes sc_exercise_bike sc_white_noise spear_f16 spear_factory spear_volvo
                 + ambient music and nature recordings
    noise_test   sc_running_tap sc_dude_miaowing sc_pink_noise spear_pink spear_mvolvo

librispeech stays out of every split: the bundled examples are made from it (examples/README.md).

Writes DATA/<split>/{wav.scp,utt2spk,spk2utt} with absolute paths, sorted by utterance id.
Usage: make_lists.py DB_ROOT DATA [--max-utts N]   (N > 0 keeps the first N utterances of each split)
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

TRAIN_WORDS = ("yes", "no", "up", "down", "left", "right")
TEST_WORDS = ("on", "off", "stop", "go")
SC_PER_WORD = {"train": 50, "test": 4}
FSDD_TAKES = range(5, 15)  # per digit and speaker: 600 clips; takes 0-4 are FSDD's official test split
NOISE = {
    "noise_train": (
        "sc_doing_the_dishes",
        "sc_exercise_bike",
        "sc_white_noise",
        "spear_f16",
        "spear_factory",
        "spear_volvo",
    ),
    "noise_test": ("sc_running_tap", "sc_dude_miaowing", "sc_pink_noise", "spear_pink", "spear_mvolvo"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db_root")
    ap.add_argument("data")
    ap.add_argument("--max-utts", type=int, default=0)
    args = ap.parse_args()
    db = Path(args.db_root).resolve()
    manifest = db / "manifest.tsv"
    if not manifest.is_file():
        print(f"make_lists.py: {manifest} not found; set AUDIOGAN_DATA or --db_root", file=sys.stderr)
        return 1
    with open(manifest, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    splits: dict[str, dict[str, tuple[str, Path]]] = defaultdict(dict)  # split -> utt -> (spk, path)
    sc_count: dict[tuple[str, str], int] = defaultdict(int)
    # speech_commands speakers (hash prefix) of the test clips never appear in training
    test_spk: set[str] = set()
    for r in rows:
        parts = Path(r["path"]).parts
        if parts[0] == "speech_commands" and parts[1] in TEST_WORDS and sc_count[("test", parts[1])] < 4:
            sc_count[("test", parts[1])] += 1
            test_spk.add(Path(r["path"]).stem.split("_")[0])
    sc_count.clear()
    for r in rows:
        path, parts = db / r["path"], Path(r["path"]).parts
        corpus, stem = parts[0], Path(r["path"]).stem
        if corpus == "vcc2016":
            splits["clean_train"][f"{parts[1]}-{stem}"] = (parts[1], path)
        elif corpus == "arctic":
            spk, num = parts[1], int(stem.split("_a")[-1])
            split = "clean_train" if spk == "clb" else "clean_dev" if num <= 8 else "clean_test"
            splits[split][f"{spk}-{stem}"] = (spk, path)
        elif corpus == "speech_commands":
            word = parts[1]
            split = "train" if word in TRAIN_WORDS else "test" if word in TEST_WORDS else None
            if split == "train" and stem.split("_")[0] in test_spk:
                continue
            if split and sc_count[(split, word)] < SC_PER_WORD[split]:
                sc_count[(split, word)] += 1
                spk = "sc" + stem.split("_")[0]
                splits[f"clean_{split}"][f"{spk}-{word}-{stem}"] = (spk, path)
        elif corpus == "fsdd":
            digit, spk, take = stem.split("_")
            if int(take) in FSDD_TAKES:
                splits["clean_train"][f"fsdd{spk}-{stem}"] = (f"fsdd{spk}", path)
        elif corpus == "ambient":
            splits["noise_train"][stem] = (stem, path)
        elif corpus == "noise":
            for name, stems in NOISE.items():
                if stem in stems:
                    splits[name][stem] = (stem, path)
    for name in ("clean_train", "clean_dev", "clean_test", *NOISE):
        table = splits[name]
        if not table:
            print(f"make_lists.py: no files for {name} in {db}", file=sys.stderr)
            return 1
        utts = sorted(table)
        if args.max_utts > 0 and name.startswith("clean"):
            # keep the split's variety: take every k-th utterance rather than the first N
            step = max(1, len(utts) // args.max_utts)
            utts = utts[::step][: args.max_utts]
        out = Path(args.data) / name
        out.mkdir(parents=True, exist_ok=True)
        spk2utt: dict[str, list[str]] = defaultdict(list)
        with open(out / "wav.scp", "w") as w, open(out / "utt2spk", "w") as u:
            for utt in utts:
                spk, path = table[utt]
                w.write(f"{utt} {path}\n")
                u.write(f"{utt} {spk}\n")
                spk2utt[spk].append(utt)
        with open(out / "spk2utt", "w") as s:
            for spk in sorted(spk2utt):
                s.write(f"{spk} {' '.join(spk2utt[spk])}\n")
        print(f"make_lists.py: {out}: {len(utts)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
