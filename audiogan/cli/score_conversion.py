"""`audiogan score conversion`: MCD, F0 RMSE/correlation and V/UV error of converted speech against the
target speaker's parallel utterances (files matched by name), optionally with the unconverted source as a
baseline. How each number is computed is documented in :mod:`audiogan.metrics.conversion`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from audiogan.errors import AudioGanError

_LABELS = {
    "mcd": "MCD all [dB]",
    "mcd_speech": "MCD speech [dB]",
    "f0_rmse": "F0 RMSE [Hz]",
    "f0_rmse_cents": "F0 RMSE [cent]",
    "f0_corr": "F0 corr",
    "vuv_error": "V/UV err [%]",
}


def register(sub) -> None:
    p = sub.add_parser(
        "conversion",
        help="voice conversion scores: MCD, F0 RMSE/corr, V/UV error",
        description="Score converted speech (EST) against the target speaker's parallel recordings (REF). "
        "Files are matched by name (or utterance id for Kaldi data dirs). With --src, the unconverted "
        "source recordings are scored against REF too, as the baseline. "
        "MCD convention: both files analysed by WORLD (Harvest F0, CheapTrick envelope) at REF's rate; "
        "SPTK mel-cepstra (pysptk.sp2mc, order --order, all-pass constant 0.41 at 16 kHz), c0 excluded; "
        "frames paired by DTW (Euclidean, steps (1,1) (1,0) (0,1)); MCD = 10*sqrt(2)/ln(10) * mean over the "
        "path of the Euclidean c1..cD distance. 'MCD all frames' aligns every frame; 'MCD speech frames' "
        "first keeps, on each side, the frames within --speech-db (40) dB of the utterance's loudest frame. "
        "F0 scores use the all-frames path, over frames voiced in both.",
    )
    p.add_argument("--ref", required=True, help="target-speaker references: audio file, folder or data dir")
    p.add_argument("--est", required=True, help="converted speech: audio file, folder or data dir")
    p.add_argument("--src", help="unconverted source speech (same names) for baseline scores")
    p.add_argument(
        "--csv",
        help="per-file CSV (default: ./<EST name>.scores.csv in the current directory; '-' prints it "
        "to stdout, 'none' writes none)",
    )
    p.add_argument("--json", action="store_true", help="print the means as one JSON object on the last line")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument(
        "--order", type=int, default=24, help="mel-cepstrum order D: c1..cD are compared (default 24)"
    )
    p.add_argument(
        "--f0-method", choices=("harvest", "dio"), default="harvest", help="F0 estimator (default harvest)"
    )
    p.add_argument(
        "--speech-db", type=float, default=40.0,
        help="MCD speech frames: keep frames within this many dB of the loudest one (default 40)",
    )
    p.add_argument("--f0-floor", type=float, default=71.0, help="Hz (default 71)")
    p.add_argument("--f0-ceil", type=float, default=800.0, help="Hz (default 800)")
    p.add_argument("--allow-missing", action="store_true", help="score only the files present in every input")
    p.add_argument(
        "-q", "--quiet", "--no-progress", dest="quiet", action="store_true", help="no progress bars"
    )
    p.set_defaults(func=run)


def _default_csv(est: Path) -> Path:
    """``./<EST name>.scores.csv`` in the current directory (folder ``conv/`` -> ``conv.scores.csv``), like
    `score enhancement`: never inside a corpus being scored."""
    est = Path(os.path.abspath(est))
    return Path.cwd() / ((est.name + ".scores.csv") if est.is_dir() else (est.stem + ".scores.csv"))


def _pairs(args: argparse.Namespace) -> list[tuple[str, Path, Path, Path | None]]:
    """``[(name, ref, est, src|None)]``; unmatched files are an error unless --allow-missing."""
    from audiogan.metrics._match import pair_inputs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pairs = pair_inputs(args.ref, args.est, allow_missing=args.allow_missing)
        for w in caught:
            sys.stderr.write(f"audiogan: warning: {w.message}\n")
    if not args.src:
        return [(k, r, e, None) for k, r, e in pairs]
    if Path(args.src).is_file() != Path(args.est).is_file():
        raise AudioGanError("--src and --est must both be files or both be folders/data dirs")
    if Path(args.src).is_file():
        return [(k, r, e, Path(args.src)) for k, r, e in pairs]
    # Pair SRC with EST (both may have extra files); every scored EST file needs its source.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            src_pairs = pair_inputs(args.est, args.src, allow_missing=True)
        except AudioGanError as e:  # its messages name the roles REF/EST; here they are --est/--src
            raise AudioGanError(f"pairing --est (as REF) with --src (as EST): {e}") from None
    by_est = {Path(e): s for _, e, s in src_pairs}
    missing = [k for k, _, e in pairs if Path(e) not in by_est]
    if missing:
        raise AudioGanError(f"{len(missing)} converted file(s) have no source in --src (e.g. '{missing[0]}')")
    return [(k, r, e, by_est[Path(e)]) for k, r, e in pairs]


def _fmt(v: float, scale: float = 1.0, digits: int = 3) -> str:
    return "nan" if v is None or not math.isfinite(v) else f"{v * scale:.{digits}f}"


def _table(means: dict[str, Any], src_means: dict[str, Any] | None) -> str:
    head = f"{'':<18}" + "".join(f"{_LABELS[m]:>16}" for m in _LABELS)
    rows = [("converted", means)] + ([("source (baseline)", src_means)] if src_means else [])
    lines = [head]
    for label, m in rows:
        cells = "".join(
            f"{_fmt(m[k], 100.0 if k == 'vuv_error' else 1.0, 2 if k != 'f0_corr' else 3):>16}"
            for k in _LABELS
        )
        lines.append(f"{label:<18}{cells}")
    return "\n".join(lines)


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def _write_text_atomic(path: Path, text: str) -> None:
    from audiogan.paths import write_text_atomic

    write_text_atomic(path, text)


def _json_safe(d: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            _json_safe(v)
            if isinstance(v, dict)
            else (None if isinstance(v, float) and not math.isfinite(v) else v)
        )
        for k, v in d.items()
    }


def run(args: argparse.Namespace) -> int:
    from audiogan.features.world import WorldConfig, run_jobs
    from audiogan.metrics.conversion import (
        METRICS,
        ScoreSettings,
        mean_scores,
        score_pair_job,
        settings_to_job,
    )

    if args.jobs < 1:
        raise AudioGanError(f"--jobs must be >= 1, got {args.jobs}")
    settings = ScoreSettings(
        order=args.order,
        speech_db=args.speech_db,
        world=WorldConfig(f0_method=args.f0_method, f0_floor=args.f0_floor, f0_ceil=args.f0_ceil),
    )
    pairs = _pairs(args)
    inputs = {p.resolve() for _, r, e, s in pairs for p in (r, e, s) if p is not None}
    csv_path: Path | None = None
    if args.csv is None:
        csv_path = _default_csv(Path(args.est))
    elif args.csv not in ("-", "none"):
        csv_path = Path(args.csv)
    if csv_path is not None and csv_path.resolve() in inputs:
        raise AudioGanError(f"--csv {csv_path} is one of the input files; refusing to overwrite it")
    if csv_path is not None and csv_path.is_dir():
        raise AudioGanError(f"--csv {csv_path} is a folder; give a file name")
    if csv_path is not None:
        from audiogan.paths import check_writable

        check_writable(csv_path, "--csv")  # before the scoring, not after

    job = settings_to_job(settings)
    work = [(k, str(r), str(e), str(s) if s else None, job) for k, r, e, s in pairs]
    results = dict(
        run_jobs(
            score_pair_job,
            work,
            jobs=args.jobs,
            progress=not args.quiet,
            desc="scoring",
            # librosa.sequence (DTW) takes seconds to import: once in the forkserver, not in every worker.
            preload=["librosa.sequence"],
        )
    )

    rows, est_rows, src_rows = [], [], []
    for k, r, e, s in pairs:
        res = results[k]
        row: dict[str, Any] = {"name": k, "ref": str(r), "est": str(e)}
        row.update({m: res["est"][m] for m in METRICS})
        row.update(n_frames=res["est"]["n_frames"], n_voiced=res["est"]["n_voiced"],
                   n_speech_frames=res["est"]["n_speech_frames"])
        est_rows.append(res["est"])
        if s is not None:
            row["src"] = str(s)
            row.update({f"src_{m}": res["src"][m] for m in METRICS})
            src_rows.append(res["src"])
        rows.append(row)
    means = mean_scores(est_rows)
    src_means = mean_scores(src_rows) if src_rows else None

    if args.csv == "-":
        sys.stdout.write(_csv_text(rows))
    elif csv_path is not None:
        _write_text_atomic(csv_path, _csv_text(rows))
    print(f"conversion scores, {len(rows)} file(s); MCD on mel-cepstra c1..c{settings.order}, DTW-aligned; "
          f"speech frames: within {settings.speech_db:g} dB of each utterance's loudest frame")
    print(_table(means, src_means))
    if csv_path is not None:
        print(f"per-file scores: {csv_path}")
    if args.json:
        out = dict(means)
        if src_means:
            out["source"] = src_means
        print(json.dumps(_json_safe(out)))
    return 0
