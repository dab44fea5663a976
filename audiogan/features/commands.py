"""The command line of ``python3 -m audiogan.features.commands`` (``extract``, ``merge``, ``stats``), also
``audiogan features``; the usage is in :mod:`audiogan.features.world`."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from audiogan.data.feats import FEATS_SCP
from audiogan.data.tables import write_table
from audiogan.errors import AudioGanError, DataDirError
from audiogan.features.archive import (
    WORLD_JSON,
    load_utt_feats,
    read_feats_scp,
    read_scp,
    read_wav_scp,
    write_feats,
)
from audiogan.features.envelope import ENVELOPES
from audiogan.features.stats import compute_stats
from audiogan.features.world import F0_METHODS, WorldConfig, extract_many, save_world_config
from audiogan.paths import check_name, child_path


def _split(items: list[str], part: int, nparts: int) -> list[str]:
    """Contiguous chunk ``part`` (1-based) of ``nparts``, like Kaldi's split_scp.pl."""
    return [str(a) for a in np.array_split(np.array(items, dtype=object), nparts)[part - 1]]


def _cfg_from_args(args: argparse.Namespace) -> WorldConfig:
    return WorldConfig(
        sample_rate=args.sample_rate,
        frame_period=args.frame_period,
        f0_floor=args.f0_floor,
        f0_ceil=args.f0_ceil,
        f0_method=args.f0_method,
        coded_dim=args.coded_dim,
        fft_size=args.fft_size,
        envelope=args.envelope,
        mcep_alpha=args.mcep_alpha,
    )


def _cmd_extract(args: argparse.Namespace) -> int:
    datadir = Path(args.datadir)
    outdir = Path(args.outdir) if args.outdir else datadir / "feats"
    cfg = _cfg_from_args(args)
    wavs = read_wav_scp(datadir)
    utts = sorted(wavs)
    if args.part is not None or args.nparts is not None:
        if args.part is None or args.nparts is None or not (1 <= args.part <= args.nparts):
            raise AudioGanError("--part J and --nparts N go together, with 1 <= J <= N")
        utts = _split(utts, args.part, args.nparts)
        scp = outdir / f"feats.{args.part}.scp"
    else:
        scp = datadir / FEATS_SCP
    for utt in utts:  # before hours of analysis, not after
        check_name(utt, f"{datadir}/wav.scp: utterance id")
    feats = extract_many({u: wavs[u] for u in utts}, cfg, jobs=args.jobs, progress=not args.no_progress)
    save_world_config(datadir / WORLD_JSON, cfg)
    write_feats(feats, outdir, scp)
    frames = sum(f["f0"].shape[0] for f in feats.values())
    print(f"{len(feats)} utterances, {frames} frames -> {scp}")
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    datadir = Path(args.datadir)
    outdir = Path(args.outdir) if args.outdir else datadir / "feats"
    merged: dict[str, str] = {}
    for j in range(1, args.nparts + 1):
        merged.update(read_scp(outdir / f"feats.{j}.scp"))
    missing = [u for u in read_wav_scp(datadir) if u not in merged]
    if missing:
        raise DataDirError(
            f"{outdir}: no features for '{missing[0]}' ({len(missing)} missing); did a job fail?"
        )
    write_table(datadir / FEATS_SCP, merged)
    print(f"{len(merged)} utterances -> {datadir / FEATS_SCP}")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    datadir = Path(args.datadir)
    index = read_feats_scp(datadir / FEATS_SCP)
    if (datadir / "utt2spk").is_file():
        utt2spk = read_scp(datadir / "utt2spk")
    elif args.spk and len(args.spk) == 1:
        utt2spk = {u: args.spk[0] for u in index}
    else:
        raise DataDirError(
            f"{datadir}: no utt2spk (give exactly one --spk to treat all utterances as one speaker)"
        )
    speakers = sorted(set(utt2spk.values())) if not args.spk else list(args.spk)
    outdir = Path(args.outdir) if args.outdir else datadir / "stats"
    targets = {spk: child_path(outdir, spk, ".json", "speaker id") for spk in speakers}
    for spk in speakers:
        utts = [u for u in index if utt2spk.get(u) == spk]
        if not utts:
            raise DataDirError(f"{datadir}: speaker '{spk}' has no utterances in feats.scp")
        stats = compute_stats(load_utt_feats(index[u]) for u in utts)
        path = stats.save(targets[spk])
        f0_mean = math.exp(stats.logf0_mean)
        print(
            f"{spk}: {len(utts)} utterances, {stats.n_voiced}/{stats.n_frames} voiced frames, "
            f"F0 geometric mean {f0_mean:.1f} Hz -> {path}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    d = WorldConfig()
    p = argparse.ArgumentParser(
        prog="python3 -m audiogan.features.commands", description="WORLD feature archive tools."
    )
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    e = sub.add_parser(
        "extract", help="extract f0/coded_sp/coded_ap for every utterance in <datadir>/wav.scp"
    )
    e.add_argument("--datadir", required=True, help="Kaldi-style data dir with wav.scp")
    e.add_argument("--outdir", help="where the .npz files go (default: <datadir>/feats)")
    e.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    e.add_argument(
        "--part", type=int, help="with --nparts: do only chunk J (1-based) -> <outdir>/feats.J.scp"
    )
    e.add_argument("--nparts", type=int, help="number of chunks the utterance list is split into")
    e.add_argument(
        "--sample-rate", type=int, default=d.sample_rate, help="analysis rate; files are resampled"
    )
    e.add_argument("--frame-period", type=float, default=d.frame_period, help="ms (default 5)")
    e.add_argument("--f0-floor", type=float, default=d.f0_floor)
    e.add_argument("--f0-ceil", type=float, default=d.f0_ceil)
    e.add_argument("--f0-method", choices=F0_METHODS, default=d.f0_method)
    e.add_argument("--coded-dim", type=int, default=d.coded_dim)
    e.add_argument("--envelope", choices=ENVELOPES, default=d.envelope,
                   help="coded_sp holds WORLD's coded envelope (coded, default) or SPTK mel-cepstra (mcep)")
    e.add_argument("--mcep-alpha", type=float, default=None,
                   help="mcep all-pass constant (default: the scorer's, 0.41 at 16 kHz)")
    e.add_argument("--fft-size", type=int, default=None, help="default: pyworld's for the rate")
    e.add_argument("--no-progress", action="store_true", help="no progress bar")
    e.set_defaults(func=_cmd_extract)

    m = sub.add_parser("merge", help="join <outdir>/feats.{1..N}.scp into <datadir>/feats.scp")
    m.add_argument("--datadir", required=True)
    m.add_argument("--outdir", help="default: <datadir>/feats")
    m.add_argument("--nparts", type=int, required=True)
    m.set_defaults(func=_cmd_merge)

    s = sub.add_parser("stats", help="per-speaker statistics -> <datadir>/stats/<spk>.json")
    s.add_argument("--datadir", required=True, help="data dir with feats.scp (and utt2spk)")
    s.add_argument("--spk", action="append", help="only this speaker (repeatable); default: all in utt2spk")
    s.add_argument("--outdir", help="default: <datadir>/stats")
    s.set_defaults(func=_cmd_stats)
    return p


def main(argv: list[str] | None = None) -> int:
    """Module entry point; user errors print ``audiogan: error: <msg>`` and return 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AudioGanError as e:
        sys.stderr.write(f"audiogan: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("audiogan: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
