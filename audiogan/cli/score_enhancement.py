"""`audiogan score enhancement --ref REF --est EST [--noisy NOISY] [--jobs N] [--csv FILE] [--json]`.

Scores enhanced speech against clean references (PESQ, STOI, ESTOI, CSIG, CBAK, COVL, segmental SNR,
SI-SDR), file by file, and prints a table of means. REF/EST/NOISY are folders or Kaldi-style data dirs
matched by name or utterance id (see :mod:`audiogan.metrics._match`). When ``speechmos`` is installed, the
reference-free DNSMOS P.835 SIG/BAK/OVRL of EST (and NOISY) are added as ``dnsmos_*`` columns and a
second table (see :mod:`audiogan.metrics.quality`).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path

from audiogan.cli._common import positive_int
from audiogan.errors import AudioGanError

DNSMOS_COLUMNS = ("dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl")
DNSMOS_TITLES = {"dnsmos_sig": "SIG", "dnsmos_bak": "BAK", "dnsmos_ovrl": "OVRL"}
LENGTH_TOLERANCE_S = 0.010  # longer mismatches than this get a notice (codecs/STFT padding add a few ms)
_MAX_EXAMPLES = 5


def _metric_list(text: str) -> tuple[str, ...]:
    from audiogan.metrics.enhancement import METRICS

    choices = (*METRICS, "dnsmos")
    names = tuple(dict.fromkeys(m.strip().lower().replace("-", "_") for m in text.split(",") if m.strip()))
    bad = [m for m in names if m not in choices]
    if bad or not names:
        name = bad[0] if bad else text
        raise argparse.ArgumentTypeError(f"unknown metric '{name}'; choose from {','.join(choices)}")
    return tuple(m for m in choices if m in names)




def register(sub) -> None:
    p = sub.add_parser(
        "enhancement",
        help="PESQ, STOI, ESTOI, CSIG/CBAK/COVL, segmental SNR and SI-SDR of enhanced speech",
        description="Score enhanced speech against clean references. REF, EST and NOISY are audio folders "
        "(matched by relative path or file name) or data dirs (matched by utterance id; a REF data dir's "
        "spk1.scp is used when present). Prints a table of means; per-file scores go to a CSV file.",
    )
    p.add_argument("--ref", required=True, help="clean references: folder, data dir or file")
    p.add_argument("--est", required=True, help="enhanced speech: folder, data dir or file")
    p.add_argument("--noisy", help="unprocessed input, scored against REF too (folder, data dir or file)")
    p.add_argument("--ref-scp", metavar="NAME",
                   help="scp file of a REF data dir to read (default: spk1.scp if present, else wav.scp)")
    p.add_argument("--metrics", type=_metric_list, default=None, metavar="LIST",
                   help="comma-separated subset of pesq,stoi,estoi,csig,cbak,covl,ssnr,si_sdr,dnsmos "
                   "(default: all; dnsmos only when speechmos is installed)")
    p.add_argument("--no-dnsmos", action="store_true",
                   help="leave out the reference-free DNSMOS columns (faster)")
    p.add_argument("--csv", metavar="FILE",
                   help="per-file scores (default: ./<EST name>.scores.csv in the current directory)")
    p.add_argument("--jobs", "-j", type=positive_int, default=1, metavar="N",
                   help="worker processes (default 1)")
    p.add_argument("--allow-missing", action="store_true",
                   help="score only the matched files instead of failing when some have no partner")
    p.add_argument("--json", action="store_true",
                   help="print the per-metric means as one JSON object on the last line of stdout")
    p.set_defaults(func=run)


# --------------------------------------------------------------------------------------------- scoring

def _load_mono(path: Path, notes: list[tuple[str, str]]):
    from audiogan.audio import load, to_mono

    x, sr = load(path)
    if x.shape[0] > 1:
        notes.append(("downmix", f"{path} ({x.shape[0]} channels)"))
        x = to_mono(x)
    return x[0], sr


def _score_job(job: tuple) -> dict:
    """Score one matched pair (and its noisy input): runs in worker processes, so only plain data out."""
    import numpy as np

    from audiogan.audio import resample
    from audiogan.metrics.enhancement import pesq_mode, score_pair

    key, ref_path, est_path, noisy_path, metrics, use_dnsmos = job
    notes: list[tuple[str, str]] = []
    result: dict = {"key": key, "ref": str(ref_path), "est": str(est_path),
                    "noisy": str(noisy_path) if noisy_path else None}
    ref, sr = _load_mono(ref_path, notes)
    result["sample_rate"], result["pesq_mode"] = sr, pesq_mode(sr)
    for field, path in (("scores", est_path), ("noisy_scores", noisy_path)):
        if path is None:
            continue
        x, x_sr = _load_mono(path, notes)
        if x_sr != sr:
            notes.append(("resample", f"{path} ({x_sr} Hz -> {sr} Hz)"))
            x = np.asarray(resample(x, x_sr, sr))
        diff = abs(x.size - ref.size) / sr
        if diff > LENGTH_TOLERANCE_S:
            longer = "longer" if x.size > ref.size else "shorter"
            notes.append(("length", f"{path} ({1000 * diff:.0f} ms {longer})"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result[field] = score_pair(ref, x, sr, metrics)
            except AudioGanError as e:
                raise type(e)(f"{path} vs {ref_path}: {e}") from None
        if use_dnsmos:
            from audiogan.metrics.quality import dnsmos

            q = dnsmos(x, sr)
            result[field].update({f"dnsmos_{k}": q[k] for k in ("sig", "bak", "ovrl")})
        label = key if field == "scores" else f"{key} (noisy)"
        notes.extend(("metric", f"{label}: {w.message}") for w in caught)
    result["notes"] = notes
    return result


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)  # N processes x 1 thread each; more would oversubscribe the cores


def _score_all(jobs: list[tuple], n_jobs: int) -> list[dict]:
    from tqdm import tqdm

    bar = dict(total=len(jobs), desc="scoring", unit="file", file=sys.stderr, disable=None, leave=False)
    if n_jobs <= 1 or len(jobs) <= 1:
        return [_score_job(j) for j in tqdm(jobs, **bar)]
    import multiprocessing as mp

    # spawn: forking a parent that has loaded torch can deadlock in its thread pools
    ctx = mp.get_context("spawn")
    with ctx.Pool(min(n_jobs, len(jobs)), initializer=_init_worker) as pool:
        return list(tqdm(pool.imap(_score_job, jobs), **bar))


# ---------------------------------------------------------------------------------------------- output

_NOTE_TEXT = {
    "downmix": "multichannel file(s) downmixed to mono",
    "resample": "file(s) at another rate than their reference, resampled to the reference rate",
    "length": f"file(s) differ in length from their reference by more than "
              f"{1000 * LENGTH_TOLERANCE_S:.0f} ms; scored over the shorter length",
}


def _print_notes(results: list[dict]) -> None:
    grouped: dict[str, list[str]] = defaultdict(list)
    for r in results:
        for kind, text in r["notes"]:
            grouped[kind].append(text)
    for kind, texts in grouped.items():
        if kind == "metric":
            for text in texts[:_MAX_EXAMPLES]:
                print(f"audiogan: warning: {text}", file=sys.stderr)
            if len(texts) > _MAX_EXAMPLES:
                more = len(texts) - _MAX_EXAMPLES
                print(f"audiogan: warning: ... and {more} more metric warnings", file=sys.stderr)
        else:
            print(f"audiogan: note: {len(texts)} {_NOTE_TEXT[kind]} (e.g. {texts[0]})", file=sys.stderr)


def _rate_lines(results: list[dict]) -> tuple[list[str], str]:
    rates = sorted({r["sample_rate"] for r in results})
    modes = sorted({r["pesq_mode"] for r in results})
    lines = []
    if modes == ["nb"]:
        lines.append("PESQ narrowband (8 kHz reference), P.862.1 MOS-LQO")
    elif modes == ["wb"]:
        lines.append("PESQ wideband (16 kHz), P.862.2 MOS-LQO")
    else:
        lines.append("PESQ mixed: narrowband for 8 kHz references, wideband for the others "
                     "(see pesq_mode in the CSV)")
    resampled = [r for r in rates if r not in (8000, 16000)]
    if resampled:
        lines.append(f"references at {', '.join(map(str, resampled))} Hz: PESQ and CSIG/CBAK/COVL computed "
                     "on audio resampled to 16 kHz (STOI/ESTOI resample to 10 kHz internally)")
    return lines, modes[0] if len(modes) == 1 else "mixed"


def _table(rows: dict[str, dict[str, float]], metrics: tuple[str, ...]) -> str:
    from audiogan.metrics.enhancement import METRIC_TITLES

    width = 9
    titles = {**METRIC_TITLES, **DNSMOS_TITLES}
    lines = [f"{'':<10}" + "".join(f"{titles[m]:>{width}}" for m in metrics)]
    for name, means in rows.items():
        cells = []
        for m in metrics:
            v = means[m]
            # dB scores get 2 decimals, 0-1 / MOS scales 3
            cells.append(f"{'nan':>{width}}" if not math.isfinite(v) else
                         f"{v:>{width}.2f}" if m in ("ssnr", "si_sdr") else f"{v:>{width}.3f}")
        lines.append(f"{name:<10}" + "".join(cells))
    return "\n".join(lines)


def _default_csv(est: str) -> Path:
    """``./<EST name>.scores.csv`` in the current directory: never inside a corpus being scored."""
    p = Path(os.path.abspath(est))
    return Path.cwd() / ((p.name + ".scores.csv") if p.is_dir() else (p.stem + ".scores.csv"))


def _write_csv(path: Path, results: list[dict], metrics: tuple[str, ...], noisy: bool) -> None:
    def fmt(v: float) -> str:
        return f"{v:.4f}" if math.isfinite(v) else "nan"

    header = ["key", "ref", "est"] + (["noisy"] if noisy else []) + ["sample_rate", "pesq_mode"]
    header += list(metrics) + ([f"noisy_{m}" for m in metrics] if noisy else [])
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
            w.writerow(header)
            for r in results:
                row = [r["key"], r["ref"], r["est"]] + ([r["noisy"]] if noisy else [])
                row += [r["sample_rate"], r["pesq_mode"]] + [fmt(r["scores"][m]) for m in metrics]
                row += [fmt(r["noisy_scores"][m]) for m in metrics] if noisy else []
                w.writerow(row)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _json_means(means: dict[str, float]) -> dict:
    return {m: (round(v, 6) if math.isfinite(v) else None) for m, v in means.items()}


def run(args: argparse.Namespace) -> int:
    from audiogan.metrics._match import pair_inputs
    from audiogan.metrics.enhancement import METRICS, mean_scores
    from audiogan.metrics.quality import dnsmos_available, require_dnsmos
    from audiogan.paths import check_writable

    metrics = tuple(m for m in args.metrics or METRICS if m != "dnsmos")
    want_dnsmos = not args.no_dnsmos and (args.metrics is None or "dnsmos" in args.metrics)
    if not metrics and not want_dnsmos:
        raise AudioGanError("--metrics dnsmos with --no-dnsmos leaves nothing to score")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pairs = pair_inputs(args.ref, args.est, args.noisy, ref_scp=args.ref_scp,
                            allow_missing=args.allow_missing)
    for w in caught:
        print(f"audiogan: warning: {w.message}", file=sys.stderr)

    csv_path = Path(args.csv) if args.csv else _default_csv(args.est)
    inputs = {os.path.abspath(p) for pair in pairs for p in pair[1:]}
    if os.path.abspath(csv_path) in inputs:
        raise AudioGanError(f"--csv {csv_path} is one of the input files; refusing to overwrite it")
    if csv_path.is_dir():
        raise AudioGanError(f"--csv {csv_path} is a folder; give a file name")
    check_writable(csv_path, "--csv")  # before the scoring, not after

    if args.metrics and "dnsmos" in args.metrics:
        require_dnsmos()  # asked for explicitly: an error, not a note, when it is missing
    use_dnsmos = want_dnsmos and dnsmos_available()
    columns = metrics + (DNSMOS_COLUMNS if use_dnsmos else ())
    jobs = [(key, ref, est, rest[0] if rest else None, metrics, use_dnsmos) for key, ref, est, *rest in pairs]
    results = _score_all(jobs, args.jobs)
    _print_notes(results)
    if want_dnsmos and not use_dnsmos:
        print("audiogan: note: speechmos/onnxruntime not installed; DNSMOS columns left out "
              "(pip install '.[eval]', or --no-dnsmos)", file=sys.stderr)
    _write_csv(csv_path, results, columns, bool(args.noisy))

    rate_lines, mode = _rate_lines(results)
    rows: dict[str, dict[str, float]] = {}
    if args.noisy:
        rows["noisy"] = mean_scores((r["noisy_scores"] for r in results), columns)
    rows["enhanced"] = mean_scores((r["scores"] for r in results), columns)
    for field, label in (("scores", ""), ("noisy_scores", " (noisy)")):
        for m in columns if field in results[0] else ():
            n_nan = sum(not math.isfinite(r[field][m]) for r in results)
            if n_nan:
                print(f"audiogan: warning: {m}{label}: {n_nan} of {len(results)} file(s) gave no score "
                      "(NaN), left out of the mean", file=sys.stderr)
    if metrics:
        for line in rate_lines:
            print(line)
        print(_table(rows, metrics))
    if use_dnsmos:
        print("DNSMOS P.835 (reference-free, 16 kHz mono): SIG speech, BAK background, OVRL overall")
        print(_table(rows, DNSMOS_COLUMNS))
    print(f"{len(results)} file(s); per-file scores: {csv_path}")
    if args.json:
        obj = {**_json_means(rows["enhanced"]), "n_files": len(results), "pesq_mode": mode}
        if args.noisy:
            obj["noisy"] = _json_means(rows["noisy"])
        print(json.dumps(obj))
    return 0
