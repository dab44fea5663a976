#!/usr/bin/env python3
"""Data dirs {train,valid,test} for WaveGAN recipes: wav.scp, utt2spk, spk2utt, utt2label.

Two sources:
  --manifest ROOT   AUDIOGAN_DATA (ROOT/manifest.tsv): the speech_commands set (10 command words)
  --sc-root DIR     an extracted Speech Commands release (DIR/<word>/<spk>_nohash_<k>.wav) with its
                    validation_list.txt / testing_list.txt; --words picks the classes (SC09: the digits)

Splits are speaker-disjoint: the official lists when the release has them, otherwise by the SHA-1 of the
speaker id (10 % validation, 10 % test). (Speech Commands' own hashing rule cannot be used on
AUDIOGAN_DATA: its clips are the release's test files, so that rule puts every one in "test".)
Utterance ids are <speaker>-<word>-<k>.
Clips are used as they are (1 s at 16 kHz); training pads them to the slice length.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from pathlib import Path

DIGITS = "zero,one,two,three,four,five,six,seven,eight,nine"


def which_set(name: str) -> str:
    """Deterministic speaker-disjoint split: 10 % valid, 10 % test, by the SHA-1 of the speaker id."""
    speaker = re.sub(r"_nohash_.*$", "", Path(name).stem)
    bucket = int(hashlib.sha1(speaker.encode()).hexdigest(), 16) % 10
    return {0: "valid", 1: "test"}.get(bucket, "train")


def from_manifest(root: Path) -> list[tuple[str, Path]]:
    """(word, path) of the speech_commands rows of AUDIOGAN_DATA/manifest.tsv."""
    manifest = root / "manifest.tsv"
    if not manifest.is_file():
        sys.exit(f"prepare_data.py: {manifest} not found (set AUDIOGAN_DATA or --db_root)")
    with open(manifest, newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["set"] == "speech_commands"]
    if not rows:
        sys.exit(f"prepare_data.py: {manifest} lists no speech_commands files")
    return [(Path(r["path"]).parent.name, root / r["path"]) for r in rows]


def from_release(root: Path, words: list[str]) -> tuple[list[tuple[str, Path]], dict[str, str]]:
    """(word, path) of the chosen words of an extracted release, and the official split of each file."""
    items = []
    for word in words:
        folder = root / word
        if not folder.is_dir():
            sys.exit(f"prepare_data.py: {folder} not found; is {root} an extracted Speech Commands release?")
        items += [(word, p) for p in sorted(folder.glob("*.wav"))]
    official = {}
    for name, split in (("validation_list.txt", "valid"), ("testing_list.txt", "test")):
        lst = root / name
        if lst.is_file():
            official.update({line.strip(): split for line in lst.read_text().splitlines() if line.strip()})
    return items, official


def write_table(path: Path, table: dict[str, str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{k} {v}\n" for k, v in sorted(table.items())))
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--manifest", type=Path, help="AUDIOGAN_DATA root")
    src.add_argument("--sc-root", type=Path, help="extracted Speech Commands release")
    ap.add_argument("--words", default=DIGITS, help="comma-separated classes for --sc-root (default: digits)")
    ap.add_argument("--max-per-word", type=int, default=0, help=">0: keep N clips per word and split (debug)")
    ap.add_argument("outdir", type=Path)
    args = ap.parse_args()

    official: dict[str, str] = {}
    if args.manifest:
        items = from_manifest(args.manifest)
    else:
        items, official = from_release(args.sc_root, args.words.split(","))
    splits: dict[str, dict[str, tuple[str, Path]]] = {"train": {}, "valid": {}, "test": {}}
    for word, path in sorted(items, key=lambda item: str(item[1])):
        stem = path.stem  # <speaker>_nohash_<k>
        speaker, _, k = stem.partition("_nohash_")
        utt = f"{speaker}-{word}-{k or '0'}"
        split = official.get(f"{word}/{path.name}") or which_set(path.name)
        if official and f"{word}/{path.name}" not in official:
            split = "train"  # a release with lists: anything not listed is training data
        splits[split][utt] = (word, path.resolve())
    for split, utts in splits.items():
        if args.max_per_word > 0:
            kept: dict[str, int] = {}
            chosen = {}
            for utt, (word, path) in sorted(utts.items()):
                if kept.get(word, 0) < args.max_per_word:
                    kept[word] = kept.get(word, 0) + 1
                    chosen[utt] = (word, path)
            utts = chosen
        if not utts:
            sys.exit(f"prepare_data.py: the {split} split is empty")
        d = args.outdir / split
        d.mkdir(parents=True, exist_ok=True)
        for stale in ("segments", "utt2dur", "feats.scp", "text"):
            (d / stale).unlink(missing_ok=True)
        write_table(d / "wav.scp", {u: str(p) for u, (_, p) in utts.items()})
        write_table(d / "utt2label", {u: w for u, (w, _) in utts.items()})
        utt2spk = {u: u.split("-", 1)[0] for u in utts}
        write_table(d / "utt2spk", utt2spk)
        spk2utt: dict[str, list[str]] = {}
        for u, s in sorted(utt2spk.items()):
            spk2utt.setdefault(s, []).append(u)
        write_table(d / "spk2utt", {s: " ".join(us) for s, us in spk2utt.items()})
        words = sorted({w for w, _ in utts.values()})
        print(f"prepare_data.py: {d}: {len(utts)} clips, {len(spk2utt)} speakers, {len(words)} labels")


if __name__ == "__main__":
    main()
