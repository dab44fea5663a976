#!/usr/bin/env python3
"""Resample every WAV of SRC (the 48 kHz VoiceBank-DEMAND folders) to 16 kHz 16-bit WAVs in DST.

Usage: resample.py SRC DST [--rate 16000]. Existing outputs are kept, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from audiogan.audio import load, save
from audiogan.errors import AudioGanError


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--rate", type=int, default=16000)
    args = ap.parse_args()
    src, dst = Path(args.src), Path(args.dst)
    files = sorted(src.glob("*.wav"))
    if not files:
        print(f"resample.py: no .wav files in {src}", file=sys.stderr)
        return 1
    for f in tqdm(files, desc=f"{src.name} -> {args.rate} Hz", unit="file", disable=None):
        out = dst / f.name
        if out.is_file():
            continue
        try:
            x, _ = load(f, sample_rate=args.rate)
            save(out, x, args.rate, subtype="PCM_16")
        except AudioGanError as e:
            print(f"resample.py: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
