"""`audiogan score quality INPUT... [--csv FILE] [--jobs N] [--json]`.

Reference-free quality of speech files: DNSMOS P.835 SIG, BAK and OVRL (and the P.808 MOS), file by
file, with their means. INPUTs are audio files or folders (searched recursively). See
:mod:`audiogan.metrics.quality`.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from audiogan.cli._common import positive_int
from audiogan.errors import AudioGanError


def register(sub) -> None:
    p = sub.add_parser(
        "quality",
        help="reference-free DNSMOS P.835 (SIG, BAK, OVRL) of speech files",
        description="Score speech without a clean reference with DNSMOS P.835: SIG (speech signal), BAK "
        "(background noise), OVRL (overall), each a MOS on 1-5, plus the DNSMOS P.808 MOS. Audio is scored "
        "as 16 kHz mono (other rates are resampled, channels averaged). Needs the speechmos and "
        "onnxruntime packages (pip install '.[eval]').",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders (searched recursively)")
    p.add_argument("--csv", metavar="FILE", help="also write the per-file scores to FILE")
    p.add_argument("--jobs", "-j", type=positive_int, default=1, metavar="N",
                   help="worker processes (default 1)")
    p.add_argument("--json", action="store_true",
                   help="print the means as one JSON object on the last line of stdout")
    p.set_defaults(func=run)


# --------------------------------------------------------------------------------------------- scoring

def _score_file(path: Path) -> dict:
    """Score one file: runs in worker processes, so only plain data out."""
    from audiogan.audio import load
    from audiogan.metrics.quality import dnsmos

    x, sr = load(path)
    try:
        scores = dnsmos(x, sr)
    except AudioGanError as e:
        raise type(e)(f"{path}: {e}") from None
    return {"path": str(path), "sample_rate": sr, "channels": int(x.shape[0]), "scores": scores}


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)  # N processes x 1 thread each (DNSMOS follows torch's thread count)


def _score_all(paths: list[Path], n_jobs: int) -> list[dict]:
    from tqdm import tqdm

    bar = dict(total=len(paths), desc="DNSMOS", unit="file", file=sys.stderr, disable=None, leave=False)
    if n_jobs <= 1 or len(paths) <= 1:
        return [_score_file(p) for p in tqdm(paths, **bar)]
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # forking a parent that has loaded torch can deadlock in its thread pools
    with ctx.Pool(min(n_jobs, len(paths)), initializer=_init_worker) as pool:
        return list(tqdm(pool.imap(_score_file, paths), **bar))


# ---------------------------------------------------------------------------------------------- output

def _print_notes(results: list[dict]) -> None:
    from audiogan.metrics.quality import DNSMOS_RATE

    rates: dict[int, list[str]] = defaultdict(list)
    channels: dict[int, list[str]] = defaultdict(list)
    for r in results:
        if r["sample_rate"] != DNSMOS_RATE:
            rates[r["sample_rate"]].append(r["path"])
        if r["channels"] > 1:
            channels[r["channels"]].append(r["path"])
    for sr, paths in sorted(rates.items()):
        print(f"audiogan: note: {len(paths)} file(s) resampled from {sr} Hz to {DNSMOS_RATE} Hz for DNSMOS "
              f"(e.g. {paths[0]})", file=sys.stderr)
    for c, paths in sorted(channels.items()):
        print(f"audiogan: note: {len(paths)} file(s) with {c} channels downmixed to mono for DNSMOS "
              f"(e.g. {paths[0]})", file=sys.stderr)


def _names(paths: list[str]) -> list[str]:
    """Row labels: paths relative to their common folder (just the file name for a single file)."""
    if len(paths) == 1:
        return [Path(paths[0]).name]
    common = os.path.commonpath([os.path.abspath(p) for p in paths])
    return [os.path.relpath(os.path.abspath(p), common) for p in paths]


def _table(rows: dict[str, dict[str, float]]) -> str:
    from audiogan.metrics.quality import DNSMOS_KEYS, DNSMOS_TITLES

    name_w = max(10, *(len(n) + 2 for n in rows))
    lines = [f"{'':<{name_w}}" + "".join(f"{DNSMOS_TITLES[k]:>7}" for k in DNSMOS_KEYS)]
    for name, scores in rows.items():
        cells = (f"{scores[k]:>7.3f}" if math.isfinite(scores[k]) else f"{'nan':>7}" for k in DNSMOS_KEYS)
        lines.append(f"{name:<{name_w}}" + "".join(cells))
    return "\n".join(lines)


def _check_csv(path: Path, inputs: list[Path]) -> None:
    if path.is_dir():
        raise AudioGanError(f"--csv {path} is a folder; give a file name")
    if os.path.abspath(path) in {os.path.abspath(p) for p in inputs}:
        raise AudioGanError(f"--csv {path} is one of the input files; refusing to overwrite it")


def _write_csv(path: Path, results: list[dict]) -> None:
    from audiogan.metrics.quality import DNSMOS_KEYS

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise AudioGanError(f"{path}: cannot write ({e.strerror or e})") from None
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it 0600; give it the permissions a plain open() would
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["path", "sample_rate", "channels", *DNSMOS_KEYS])
            for r in results:
                w.writerow([r["path"], r["sample_rate"], r["channels"]]
                           + [f"{r['scores'][k]:.4f}" for k in DNSMOS_KEYS])
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def run(args: argparse.Namespace) -> int:
    from audiogan.audio import find_audio_files
    from audiogan.metrics.enhancement import mean_scores
    from audiogan.metrics.quality import DNSMOS_KEYS, require_dnsmos

    # a file named twice (or a file inside a folder also given) is scored once
    paths = list({os.path.abspath(p): p for p in find_audio_files(args.inputs)}.values())
    csv_path = Path(args.csv) if args.csv else None
    if csv_path is not None:
        _check_csv(csv_path, paths)
    require_dnsmos()

    results = _score_all(paths, args.jobs)
    _print_notes(results)
    if csv_path is not None:
        _write_csv(csv_path, results)

    means = mean_scores((r["scores"] for r in results), DNSMOS_KEYS)
    rows = dict(zip(_names([r["path"] for r in results]), (r["scores"] for r in results)))
    rows["mean"] = means
    print("DNSMOS P.835 (SIG, BAK, OVRL) and P.808 MOS, 1-5, higher is better; scored as 16 kHz mono")
    print(_table(rows))
    print(f"{len(results)} file(s)" + (f"; per-file scores: {csv_path}" if csv_path else ""))
    if args.json:
        obj = {k: (round(v, 6) if math.isfinite(v) else None) for k, v in means.items()}
        print(json.dumps({**obj, "n_files": len(results)}))
    return 0
