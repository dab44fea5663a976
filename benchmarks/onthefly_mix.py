"""Speed of the on-the-fly mixer (audiogan.data.onthefly) on one core: items per CPU second.

    python3 benchmarks/onthefly_mix.py [--items 400] [--segment 32000] [--data-dir DIR] [--cache-dir DIR]

Builds a clean data dir (VCC2016-full, 9 speakers x 40 utterances) and a noise data dir (blanket/) from
$AUDIOGAN_DATA (default ../shared/data; without it: prints why and exits 0) in a temporary folder, or uses
DIR/train_clean and DIR/train_noise (e.g. a speechmix recipe's data). Times ``ds[(i, seed)]`` with one torch
thread and reports process CPU time (the machine is shared, so wall time would measure the other jobs), for
the default mix and for all augmentations off, and the ratio to the target of 200 items/s per core
(issue 19: a 2-core training must never wait for data).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

TARGET = 200.0


def make_dirs(root: Path, tmp: Path) -> tuple[Path, Path]:
    clean, noise = tmp / "clean", tmp / "noise"
    for d in (clean, noise):
        d.mkdir()
    spk = ("SF1", "SF2", "SF3", "SM1", "SM2", "TF1", "TF2", "TM1", "TM2")
    utts = {f"{s}-{n}": root / "vcc2016_full" / s / f"{n}.flac" for s in spk for n in range(100001, 100041)}
    (clean / "wav.scp").write_text("".join(f"{u} {p}\n" for u, p in sorted(utts.items())))
    (clean / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in sorted(utts)))
    nz = {p.stem: p for p in sorted((root / "blanket").glob("*.flac"))}
    (noise / "wav.scp").write_text("".join(f"{u} {p}\n" for u, p in sorted(nz.items())))
    return clean, noise


def rate(ds, items: int) -> float:
    for k in range(5):
        ds[(k, k)]
    t = time.process_time()
    for k in range(items):
        ds[(k, 1000 + k)]
    return items / (time.process_time() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=400)
    ap.add_argument("--segment", type=int, default=32000)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--cache-dir", default=None, help="the mixer's cache (default: a temporary folder)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    from audiogan.data.onthefly import OnTheFlyMixtures

    with tempfile.TemporaryDirectory() as tmp:
        if args.data_dir:
            clean, noise = Path(args.data_dir) / "train_clean", Path(args.data_dir) / "train_noise"
        else:
            default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
            root = Path(os.environ.get("AUDIOGAN_DATA") or default)
            if not (root / "manifest.tsv").is_file():
                print(f"onthefly_mix: {root}/manifest.tsv not found; set AUDIOGAN_DATA (nothing measured)")
                return 0
            clean, noise = make_dirs(root, Path(tmp))
        cache = Path(args.cache_dir) if args.cache_dir else Path(tmp) / "cache"
        t = time.time()
        full = OnTheFlyMixtures(clean, noise, segment=args.segment, cache_dir=cache)
        setup = time.time() - t
        off = OnTheFlyMixtures(clean, noise, segment=args.segment, cache_dir=cache, mix=dict(
            p_clean=0.0, p_babble=0.0, p_reverb=0.0, p_eq=0.0, p_telephone=0.0))
        r_full, r_off = rate(full, args.items), rate(off, args.items)
    print(f"onthefly_mix: segment {args.segment} samples, {args.items} items, one thread, process CPU time")
    print(f"  setup ({len(full.rirs)} RIRs; decoded and simulated, or cached): {setup:.1f} s wall")
    print(f"  default mix:        {r_full:7.1f} items/CPU-s  ratio to the {TARGET:.0f}/s target: "
          f"{r_full / TARGET:.2f}")
    print(f"  augmentations off:  {r_off:7.1f} items/CPU-s  (the augmentations cost {r_off / r_full:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
