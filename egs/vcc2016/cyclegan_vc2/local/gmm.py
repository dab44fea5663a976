#!/usr/bin/env python3
"""The classical row: joint-density GMM voice conversion (audiogan.models.gmm_vc), trained on parallel pairs.

Usage:
  gmm.py train SRC_DIR TGT_DIR MODEL [--mixtures 32] [--order 24] [--f0-method harvest] [--jobs 2]
  gmm.py convert MODEL DATA_DIR OUT_WAV_DIR --direction A2B|B2A [--order 24] [--f0-method harvest]

``train``: SRC_DIR/TGT_DIR are data dirs (wav.scp, utterance ids <spk>_<sentence>) of the two speakers'
training utterances; every sentence both have is a parallel pair (speaker A = SRC_DIR). Features: WORLD
(harvest F0, CheapTrick) and SPTK mel-cepstra c0..c24 at the scorer's alpha; c1..c24 with deltas are modelled,
speech frames only (within 40 dB of each utterance's loudest frame, as the scorer's speech frames), paired by
DTW. Writes MODEL (.npz, plain arrays) and MODEL.json (pairs, frames, fit time).

``convert``: every utterance of DATA_DIR -> OUT_WAV_DIR/<utt>.wav: c1..c24 by MLPG + GV postfilter, the
source's c0 (energy) and aperiodicity kept, F0 by the log-F0 mean/variance transform, WORLD synthesis.
Digital silence (< -120 dB) keeps the source envelope, as `audiogan convert` does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from audiogan import audio
from audiogan.features import envelope, mcep, world
from audiogan.features.archive import read_wav_scp
from audiogan.models.gmm_vc import DIRECTIONS, JointGMM
from audiogan.paths import atomic_open, child_path, write_text_atomic

SILENCE_DB = -120.0


def sentence(utt: str) -> str:
    """``SF1_100028`` -> ``100028``."""
    return utt.split("_", 1)[1] if "_" in utt else utt


def analyze_cached(items: dict[str, Path], cfg: world.WorldConfig, args: argparse.Namespace,
                   cache: Path) -> dict[str, dict[str, np.ndarray]]:
    """:func:`mcep.analyze_many` of ``items``, kept in ``cache`` (one .npz) so that refitting the GMM with
    other mixtures or iterations does not repeat the WORLD analysis; a cache made with other settings or
    files is ignored and rewritten."""
    files = {u: str(p) for u, p in items.items()}
    key = json.dumps({"order": args.order, "world": cfg.to_dict(), "files": files}, sort_keys=True)
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            if str(z["key"]) == key:
                return {u: {k: z[f"{u}/{k}"] for k in ("f0", "mc", "energy_db")} for u in items}
    feats = mcep.analyze_many(items, cfg, args.order, jobs=args.jobs, progress=not args.no_progress)
    arrays = {f"{u}/{k}": v for u, f in feats.items() for k, v in f.items()}
    with atomic_open(cache, "wb") as f:
        np.savez(f, key=np.array(key), **arrays)
    return feats


def train(args: argparse.Namespace) -> None:
    src, tgt = read_wav_scp(args.src_dir), read_wav_scp(args.tgt_dir)
    by_sent = {sentence(u): u for u in tgt}
    pairs = [(u, by_sent[sentence(u)]) for u in sorted(src) if sentence(u) in by_sent]
    if len(pairs) < 2:
        sys.exit(f"gmm.py: {args.src_dir} and {args.tgt_dir} share {len(pairs)} sentences; "
                 "the GMM needs parallel data")
    cfg = world.WorldConfig(f0_method=args.f0_method)
    t0 = time.time()
    items = {**{u: src[u] for u, _ in pairs}, **{v: tgt[v] for _, v in pairs}}
    feats = analyze_cached(items, cfg, args, Path(str(args.model) + ".feats.npz"))
    t1 = time.time()
    seqs = [(feats[u]["mc"][:, 1:], feats[v]["mc"][:, 1:]) for u, v in pairs]
    masks = [(mcep.speech_mask(feats[u]["energy_db"]), mcep.speech_mask(feats[v]["energy_db"]))
             for u, v in pairs]
    f0s = [(feats[u]["f0"], feats[v]["f0"]) for u, v in pairs]
    model = JointGMM.fit(seqs, f0s, n_components=args.mixtures, masks=masks, max_iter=args.max_iter, seed=0,
                         max_frames=args.max_frames or None)
    t2 = time.time()
    model.save(args.model)
    info = {"pairs": len(pairs), "order": args.order, "mixtures": args.mixtures, "f0_method": args.f0_method,
            "max_iter": args.max_iter,
            "speech_frames": int(sum(int(a.sum()) for a, _ in masks)), "analysis_s": round(t1 - t0, 1),
            "fit_s": round(t2 - t1, 1), **model.fit_info}
    write_text_atomic(Path(str(args.model) + ".json"), json.dumps(info, indent=1) + "\n")
    print(f"GMM: {len(pairs)} parallel pairs, {args.mixtures} mixtures, analysis {t1 - t0:.0f} s, "
          f"fit {t2 - t1:.0f} s ({model.fit_info}) -> {args.model}")


def convert_one(model: JointGMM, x: np.ndarray, cfg: world.WorldConfig, order: int,
                direction: str) -> np.ndarray:
    """Convert ``x: ndarray[T]`` (at ``cfg.sample_rate``) -> ``ndarray[T]`` float32."""
    feats = world.analyze(x, cfg)
    mc = envelope.sp_to_mcep(feats.sp, cfg.sample_rate, order + 1)
    energy = mcep.frame_energy_db(feats.sp)
    out = mc.copy()
    out[:, 1:] = model.convert(mc[:, 1:], direction, gv_mask=mcep.speech_mask(energy))
    sp = envelope.mcep_to_sp(out, cfg.sample_rate, cfg.resolved_fft_size)
    silent = energy - 10.0 * np.log10(feats.sp.shape[1]) < SILENCE_DB  # mean power per bin, as convert.py
    sp[silent] = feats.sp[silent]
    f0 = model.convert_f0(feats.f0, direction)
    y = world.synthesize(f0, sp, feats.ap, cfg.sample_rate, cfg.frame_period)
    y = y[: x.shape[0]] if y.shape[0] >= x.shape[0] else np.pad(y, (0, x.shape[0] - y.shape[0]))
    return y.astype(np.float32)


def convert(args: argparse.Namespace) -> None:
    model = JointGMM.load(args.model)
    cfg = world.WorldConfig(f0_method=args.f0_method)
    wavs = read_wav_scp(args.data)
    t0 = time.time()
    for utt in sorted(wavs):
        y = convert_one(model, world.load_wave(wavs[utt], cfg), cfg, args.order, args.direction)
        audio.save(child_path(Path(args.out), utt, ".wav", "utterance id"), y, cfg.sample_rate)
    print(f"GMM {args.direction}: {len(wavs)} utterances in {time.time() - t0:.0f} s -> {args.out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("src_dir")
    t.add_argument("tgt_dir")
    t.add_argument("model")
    t.add_argument("--mixtures", type=int, default=32)
    t.add_argument("--max-iter", type=int, default=100, help="EM iterations at most")
    t.add_argument("--max-frames", type=int, default=50000, help="fit on at most this many aligned frames "
                   "(a seeded random subset; 0: all)")
    t.add_argument("--jobs", type=int, default=2)
    t.add_argument("--no-progress", action="store_true")
    c = sub.add_parser("convert")
    c.add_argument("model")
    c.add_argument("data")
    c.add_argument("out")
    c.add_argument("--direction", choices=DIRECTIONS, required=True)
    for p in (t, c):
        p.add_argument("--order", type=int, default=24)
        p.add_argument("--f0-method", choices=world.F0_METHODS, default="harvest")
    args = ap.parse_args()
    train(args) if args.cmd == "train" else convert(args)


if __name__ == "__main__":
    main()
