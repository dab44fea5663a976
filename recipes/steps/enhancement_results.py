#!/usr/bin/env python3
"""RESULTS.md of an enhancement recipe: the noisy input, baselines and models, overall, per SNR and on
the band-limited set, and the check of the quality target (issue 19) on the main test set.

    enhancement_results.py [--title T] [--note TEXT] [--data DATA] [--expdir EXP] [--noisy PREFIX]
        [--system LABEL=PREFIX ...] [--model LABEL=PREFIX] SET [SET ...] > RESULTS.md

Each system's per-file scores are read from PREFIX_<SET>/scores.csv, the CSV of `audiogan score
enhancement` (steps/score.sh). The noisy input's row is --noisy's PREFIX_<SET>/scores.csv (the input scored
as the estimate) where given, else the noisy_* columns of the systems' CSVs (`--noisy` of the scorer).
Rows: noisy input, each --system in order, then the --model. The first SET is the main test set: a table
over all its utterances, one per SNR (DATA/<SET>/utt2snr, as written by audiogan.data.mix) and the target
check; every other SET (e.g. test_8k) gets one table.

Quality target, per SNR of the main set: the model above the system labelled log-MMSE on PESQ, COVL
and DNSMOS OVRL, and above the noisy input on STOI and ESTOI (strictly). A check whose scores are missing is
"n/a" and the verdict then says "not verified", never "met". Used by recipes/templates/enhance.sh (stage 4);
the helpers (read_scores, mean, table, target_checks) are importable for other results scripts.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

# (CSV column, table title), in table order; columns no CSV holds are left out
COLUMNS = [
    ("pesq", "PESQ"),
    ("stoi", "STOI"),
    ("estoi", "ESTOI"),
    ("csig", "CSIG"),
    ("cbak", "CBAK"),
    ("covl", "COVL"),
    ("ssnr", "SSNR (dB)"),
    ("si_sdr", "SI-SDR (dB)"),
    ("dnsmos_sig", "DNSMOS SIG"),
    ("dnsmos_bak", "DNSMOS BAK"),
    ("dnsmos_ovrl", "DNSMOS OVRL"),
]
NOISY = "noisy input"
BASELINE = "log-MMSE"
# the target of issue 19: (metric, what the model must beat)
TARGET = [("pesq", BASELINE), ("covl", BASELINE), ("dnsmos_ovrl", BASELINE),
          ("stoi", NOISY), ("estoi", NOISY)]
TITLES = dict(COLUMNS)

Scores = dict[str, dict[str, float]]  # utterance -> {metric: value, noisy_<metric>: value}


class ResultsError(Exception):
    """Missing or unreadable input: reported as one line, exit 2."""


def fmt(v: float | None) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.3f}" if abs(v) < 10 else f"{v:.2f}"


def read_scores(path: Path) -> Scores:
    """The per-file CSV of `audiogan score enhancement`: key -> numeric columns ('nan' is kept as NaN)."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror or e}") from None
    out: Scores = {}
    for r in rows:
        if "key" not in r:
            raise ResultsError(f"{path}: no 'key' column (not a score CSV of audiogan score enhancement)")
        vals = {}
        for k, v in r.items():
            try:
                vals[k] = float(v)
            except (TypeError, ValueError):
                pass
        out[r["key"]] = vals
    return out


def noisy_of(scores: Scores) -> Scores:
    """The noisy input's scores: the noisy_<metric> columns, renamed <metric>."""
    return {u: {k[6:]: v for k, v in r.items() if k.startswith("noisy_")} for u, r in scores.items()}


def mean(rows: list[dict[str, float]], metric: str) -> float | None:
    """Mean over the rows with a finite score (e.g. STOI of a clip too short is NaN); None if none has one."""
    vals = [r[metric] for r in rows if metric in r and math.isfinite(r[metric])]
    return sum(vals) / len(vals) if vals else None


def table(systems: dict[str, list[dict[str, float]]], columns: list[tuple[str, str]]) -> list[str]:
    """Markdown table: a row per system, the mean of each column."""
    lines = ["| system | " + " | ".join(t for _, t in columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, rows in systems.items():
        lines.append(f"| {name} | " + " | ".join(fmt(mean(rows, k)) for k, _ in columns) + " |")
    return lines


def target_checks(systems: dict[str, list[dict[str, float]]], model: str) -> dict[str, tuple]:
    """metric -> (passed: bool | None, model mean, reference mean) for each check of TARGET."""
    out = {}
    for metric, ref in TARGET:
        m = mean(systems.get(model, []), metric)
        r = mean(systems.get(ref, []), metric)
        out[metric] = (None if m is None or r is None else m > r, m, r)
    return out


def load_set(prefixes: dict[str, str], split: str, noisy_prefix: str | None = None) -> dict[str, Scores]:
    """label -> scores of each system on ``split``, with the noisy input first."""
    per = {label: read_scores(Path(f"{prefix}_{split}") / "scores.csv") for label, prefix in prefixes.items()}
    if noisy_prefix:
        return {NOISY: read_scores(Path(f"{noisy_prefix}_{split}") / "scores.csv"), **per}
    noisy: Scores = {}
    for scores in per.values():
        for u, r in noisy_of(scores).items():
            noisy.setdefault(u, r)
    if not noisy:
        raise ResultsError(f"no scores of the noisy input for {split}: give --noisy, or score with --noisy")
    return {NOISY: noisy, **per}


def rows_of(sets: dict[str, Scores], keys: list[str]) -> dict[str, list[dict[str, float]]]:
    return {label: [s[u] for u in keys if u in s] for label, s in sets.items()}


def read_utt2snr(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return dict(line.split()[:2] for line in path.read_text().splitlines() if line.strip())


def snr_order(level: str) -> float:
    try:
        return float(level)
    except ValueError:
        return math.inf


def target_section(per_snr: dict[str, dict[str, list]], overall: dict[str, list], model: str) -> list[str]:
    """The pass/fail table (a row per SNR, then all SNRs) and the verdict line."""
    mark = {True: "pass", False: "**FAIL**", None: "n/a"}
    head = [f"{TITLES[m]} > {ref}" for m, ref in TARGET]
    out = ["## Quality target", "",
           f"`{model}` above {BASELINE} on PESQ, COVL and DNSMOS OVRL, and above the noisy input on STOI and "
           "ESTOI, at every SNR of the main test set (means; model vs reference in each cell).", "",
           "| SNR (dB) | " + " | ".join(head) + " |", "|---:|" + ":---:|" * len(head)]
    results: list[tuple[str, str, bool | None]] = []
    for level, systems in [*per_snr.items(), ("all", overall)]:  # no utt2snr (a real noisy corpus): all only
        checks = target_checks(systems, model)
        cells = []
        for metric, (ok, m, r) in checks.items():
            cells.append(f"{mark[ok]} ({fmt(m)} vs {fmt(r)})")
            if level != "all" or not per_snr:
                results.append((level, metric, ok))
        out.append(f"| {level} | " + " | ".join(cells) + " |")
    failed = [f"{TITLES[m]} at {lv} dB" for lv, m, ok in results if ok is False]
    missing = sorted({TITLES[m] for _, m, ok in results if ok is None})
    n = len(results)
    if failed:
        verdict = (f"Target **NOT met**: {len(failed)} of {n} checks fail ({', '.join(failed)})"
                   + (f"; no scores for {', '.join(missing)}" if missing else "") + ".")
    elif missing or not results:
        verdict = f"Target **not verified**: no scores for {', '.join(missing) or 'any SNR'}."
    else:
        levels = len(per_snr) or "all"
        verdict = f"Target **met**: all {n} checks pass ({levels} SNRs x {len(TARGET)} metrics)."
    return [*out, "", verdict]


def pair(text: str) -> tuple[str, str]:
    label, sep, prefix = text.partition("=")
    if not sep or not label or not prefix:
        raise argparse.ArgumentTypeError(f"expected LABEL=PREFIX, got '{text}'")
    return label, prefix


def results(args: argparse.Namespace) -> list[str]:
    prefixes = dict(args.system)
    model = None
    if args.model:
        model, prefix = args.model
        if model in prefixes or model == NOISY:
            raise ResultsError(f"--model label '{model}' is also a --system label")
        prefixes[model] = prefix
    if not prefixes:
        raise ResultsError("nothing to tabulate: give --system and/or --model")
    main_split, *others = args.sets
    sets = {s: load_set(prefixes, s, args.noisy) for s in args.sets}
    present = {k for per in sets.values() for scores in per.values() for r in scores.values() for k in r}
    columns = [(k, t) for k, t in COLUMNS if k in present]
    data = Path(args.data)
    out = [f"# {args.title}", ""]
    if args.note:
        out += [args.note, ""]
    if model and args.expdir and (Path(args.expdir) / "best.json").is_file():
        step = json.loads((Path(args.expdir) / "best.json").read_text()).get("step", "?")
        out += [f"Model `{args.expdir}`: the checkpoint of best dev score (step {step}).", ""]

    main = sets[main_split]
    keys = sorted(main[NOISY])
    lost = {label: len(keys) - len(s) for label, s in main.items() if len(s) < len(keys)}
    overall = rows_of(main, keys)
    out += [f"## `{data / main_split}`: {len(keys)} utterances, all SNRs", "", *table(overall, columns)]
    if lost:
        out += ["", "Scored on fewer utterances: " + ", ".join(f"{k} ({v} missing)" for k, v in lost.items())]
    snr = read_utt2snr(data / main_split / "utt2snr")
    by_snr: dict[str, list[str]] = defaultdict(list)
    for u in keys:
        by_snr[snr.get(u, "unknown")].append(u)
    per_snr = {lv: rows_of(main, by_snr[lv]) for lv in sorted(by_snr, key=snr_order)} if snr else {}
    for level, systems in per_snr.items():
        n = len(by_snr[level])
        out += ["", f"### {level} dB SNR ({n} utterance{'s' * (n != 1)})", "", *table(systems, columns)]
    for split in others:
        k = sorted(sets[split][NOISY])
        out += ["", f"## `{data / split}`: {len(k)} utterances", "", *table(rows_of(sets[split], k), columns)]
    out.append("")
    if model is None:
        out += ["## Quality target", "", "No model in this table (baselines only): nothing to check."]
    elif BASELINE not in prefixes:
        out += ["## Quality target", "", f"Target **not verified**: no {BASELINE} row to compare with."]
    else:
        out += target_section(per_snr, overall, model)
    return [*out, ""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", metavar="SET", help="test sets; the first is the main one")
    ap.add_argument("--system", type=pair, action="append", default=[], metavar="LABEL=PREFIX",
                    help="a baseline or other model: scores in PREFIX_<SET>/scores.csv (repeat, in order)")
    ap.add_argument("--model", type=pair, metavar="LABEL=PREFIX", help="the model the target is checked for")
    ap.add_argument("--noisy", metavar="PREFIX",
                    help="the noisy input scored as the estimate: PREFIX_<SET>/scores.csv")
    ap.add_argument("--data", default="data", help="folder of the test data dirs (for utt2snr)")
    ap.add_argument("--expdir", help="the model's experiment (its best.json gives the step)")
    ap.add_argument("--title", default="Enhancement results")
    ap.add_argument("--note", default="", help="a paragraph under the title (what the rows are)")
    args = ap.parse_args(argv)
    try:
        lines = results(args)
    except ResultsError as e:
        print(f"enhancement_results.py: error: {e}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
