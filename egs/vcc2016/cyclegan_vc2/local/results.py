#!/usr/bin/env python3
"""RESULTS.md of a CycleGAN-VC2 experiment: both directions, converted against the unconverted baseline.

Usage: results.py EXPDIR CONF SRC TGT [--note TEXT] [--gmm GMM] [--name NAME] [--system NAME=SCORES]...
                  [--mcd-gain DB] > RESULTS.md

Reads the summaries `audiogan score conversion --json` left at
EXPDIR/convert/test_<SRC>_to_<TGT>/scores_conversion.json and the reverse (stage 4), the experiment's
train_log.jsonl (steps, wall time) and best.json. With --gmm, the joint-density GMM baseline's scores
(stage 7, GMMDIR/convert/test_<SRC>_to_<TGT>/scores_conversion.json) are a third row, labelled "parallel"
(it trains on parallel pairs), when they exist. Ends with the check of the quality target: in both
directions the MCD at least --mcd-gain (1.5) dB below the unconverted source-vs-target MCD, and the F0 RMSE
below a third of the unconverted one; the MCD check is made on both named MCD figures (all frames, speech
frames); with a GMM row also the speech-frame MCD below the GMM's.

Other systems scored on the same test sets (an old built-in, another experiment, the StarGAN-VC2 recipe's
SF1/TM1 rows) are added with --system NAME=SCORES, repeatable, and checked against the same target. SCORES
(and --gmm) is either an experiment dir laid out like EXPDIR (stages 3-4 / stage 7) or a path template
with {a} and {b} for the source and target speaker, e.g. results/builtin_test_{a}_to_{b}.json: the
summaries kept in the repo after the experiment dir is gone; EXPDIR may be such a template too (then the
training line, which needs the experiment's logs, is left out).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import subprocess
from pathlib import Path

COLUMNS = [
    ("mcd", "MCD all frames (dB)"),
    ("mcd_speech", "MCD speech frames (dB)"),
    ("f0_rmse", "F0 RMSE (Hz)"),
    ("f0_rmse_cents", "F0 RMSE (cent)"),
    ("f0_corr", "F0 corr"),
    ("vuv_error", "V/UV error"),
]
MCD_GAIN_DB = 1.5
F0_FRACTION = 1.0 / 3.0


def fmt(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "n/a"
    return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"


def training_summary(expdir: Path) -> tuple[int, float]:
    """(last step, wall seconds summed over every (re)start) from train_log.jsonl."""
    step, total, last = 0, 0.0, 0.0
    path = expdir / "train_log.jsonl"
    if not path.is_file():
        return 0, 0.0
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if "elapsed_s" not in rec:
            continue
        if rec["elapsed_s"] < last:  # a resumed run restarts its clock
            total += last
        last = rec["elapsed_s"]
        step = max(step, int(rec.get("step", 0)))
    return step, total + last


def scores_path(where: str | Path, a: str, b: str) -> Path:
    """The summary of system ``where`` (an experiment dir or a template with {a}/{b}) for ``a`` -> ``b``."""
    text = str(where)
    if "{a}" in text or "{b}" in text:
        return Path(text.format(a=a, b=b))
    return Path(text) / "convert" / f"test_{a}_to_{b}" / "scores_conversion.json"


def load_scores(where: str | Path | None, a: str, b: str) -> dict | None:
    """The summary dict, or None when ``where`` is unset or holds no scores for this direction."""
    if where is None:
        return None
    path = scores_path(where, a, b)
    return json.loads(path.read_text()) if path.is_file() else None


def system_arg(text: str) -> tuple[str, str]:
    name, sep, where = text.partition("=")
    if not sep or not name.strip() or not where:
        raise argparse.ArgumentTypeError(f"expected NAME=SCORES, got {text!r}")
    return name.strip(), where


def target_checks(name: str, direction: str, src: dict, row: dict, gmm: dict | None,
                  mcd_gain: float) -> list[tuple[str, str, str, float, bool]]:
    """Issue 20's target for one system in one direction: (system, direction, criterion, value, met)."""
    checks = []
    for key, label in (("mcd", "all frames"), ("mcd_speech", "speech frames")):
        gain = src.get(key, math.nan) - row.get(key, math.nan)
        checks.append((name, direction, f"MCD gain, {label} (dB) >= {mcd_gain:g}", gain, gain >= mcd_gain))
    if gmm:
        below = gmm.get("mcd_speech", math.nan) - row.get("mcd_speech", math.nan)
        checks.append((name, direction, "MCD speech frames below the GMM's (dB)", below, below > 0))
    ratio = row.get("f0_rmse", math.nan) / src.get("f0_rmse", math.nan)
    checks.append((name, direction, "F0 RMSE / unconverted < 1/3", ratio, ratio < F0_FRACTION))
    return checks


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("expdir", type=Path, help="experiment dir, or a template of its kept summaries")
    ap.add_argument("conf")
    ap.add_argument("src")
    ap.add_argument("tgt")
    ap.add_argument("--note", default="")
    ap.add_argument("--gmm", help="the GMM baseline's experiment dir (stage 7) or scores template")
    ap.add_argument("--name", default="converted", help="this experiment's row name")
    ap.add_argument("--system", type=system_arg, action="append", default=[], metavar="NAME=SCORES",
                    help="another system's row: experiment dir or template with {a}/{b} (repeatable)")
    ap.add_argument("--mcd-gain", type=float, default=MCD_GAIN_DB, help="MCD gain target (dB)")
    args = ap.parse_args()
    exp = args.expdir
    out = [f"# CycleGAN-VC2 on VCC2016, {args.src} <-> {args.tgt}", ""]
    out += [f"- date: {datetime.date.today().isoformat()}, commit: {commit()}",
            f"- command: `bash run.sh --conf {args.conf}` (stages 0-6)"]
    if exp.is_dir():  # not when EXPDIR is a template of kept summaries (the experiment dir is gone)
        step, seconds = training_summary(exp)
        best = json.loads((exp / "best.json").read_text()) if (exp / "best.json").is_file() else {}
        out.append(f"- training: {step} steps, {seconds / 3600:.2f} h of wall time on this machine"
                   + (f"; converted with `best.pt` (step {best.get('step')}, dev MCD {fmt(best.get('value'))}"
                      " dB)" if best else ""))
    if args.note:
        out.append(f"- {args.note}")
    out += ["- scores: `audiogan score conversion` on the held-out test utterances (never trained on); the "
            "`unconverted` row scores the source speaker's own recording of the sentence against the target "
            "speaker's: the baseline. MCD convention: docs/scoring.md, `audiogan score conversion`.", ""]
    checks = []
    for a, b in ((args.src, args.tgt), (args.tgt, args.src)):
        res = json.loads(scores_path(exp, a, b).read_text())
        src = res.get("source") or {}
        gmm = load_scores(args.gmm, a, b)
        out += [f"## {a} -> {b} ({res.get('n_files')} test utterances)", "",
                "| system | " + " | ".join(label for _, label in COLUMNS) + " |",
                "|---|" + "---:|" * len(COLUMNS)]
        rows = [(args.name, res)]
        for name, where in args.system:
            row = load_scores(where, a, b)
            if row is None:
                raise SystemExit(f"results.py: no scores for {name} at {scores_path(where, a, b)}")
            if row.get("n_files") != res.get("n_files"):
                raise SystemExit(f"results.py: {name} scored {row.get('n_files')} files, this experiment "
                                 f"{res.get('n_files')}: not the same test set")
            rows.append((name, row))
        for name, row in [(f"unconverted {a}", src)] + ([("GMM (parallel)", gmm)] if gmm else []) + rows:
            out.append(f"| {name} | " + " | ".join(fmt(row.get(k)) for k, _ in COLUMNS) + " |")
        out.append("")
        for name, row in rows:
            checks += target_checks(name, f"{a} -> {b}", src, row, gmm, args.mcd_gain)
    out += ["## Quality target", "", "| system | direction | criterion | value | met |",
            "|---|---|---|---:|:---:|"]
    out += [f"| {n} | {d} | {c} | {fmt(v)} | {'yes' if ok else '**no**'} |" for n, d, c, v, ok in checks]
    out.append("")
    for name in [args.name] + [n for n, _ in args.system]:
        met = all(ok for n, *_, ok in checks if n == name)
        out.append(f"- {name}: " + ("target met in both directions." if met
                                    else "target NOT met (see the rows marked **no**)."))
    print("\n".join(out))


if __name__ == "__main__":
    main()
