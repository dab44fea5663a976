#!/usr/bin/env python3
"""RESULTS.md of a SEGAN experiment: noisy input, the log-MMSE baseline and the model, per test set and SNR.

Usage: results.py EXPDIR CONF DATA SET [SET ...] > RESULTS.md

Reads the per-file CSVs of `audiogan score enhancement` (stage 4) at EXPDIR/{enhanced,logmmse}_<SET>/
scores.csv and DATA/<SET>/utt2snr. The first SET is the main test set (tables overall and per SNR); the
others (e.g. test_8k, the test set band-limited through 8 kHz) get one table each. Ends with the check of
the quality target: the model's PESQ and COVL above log-MMSE at every SNR, its STOI not below the input's.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

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


def fmt(v: float | None) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.3f}" if abs(v) < 10 else f"{v:.2f}"


def read_scores(path: Path) -> dict[str, dict[str, float]]:
    """key -> {metric: value, noisy_<metric>: value}."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for r in rows:
        vals = {}
        for k, v in r.items():
            try:
                vals[k] = float(v)
            except (TypeError, ValueError):
                pass
        out[r["key"]] = vals
    return out


def mean(rows: list[dict[str, float]], metric: str) -> float | None:
    vals = [r[metric] for r in rows if metric in r and math.isfinite(r[metric])]
    return sum(vals) / len(vals) if vals else None


def beats(a: float | None, b: float | None, strict: bool = True) -> bool | None:
    """``a > b`` (``a >= b`` when not strict); None when either has no score (e.g. STOI of a short clip)."""
    if a is None or b is None:
        return None
    return a > b if strict else a >= b


def table(systems: dict[str, list[dict[str, float]]], columns) -> list[str]:
    lines = ["| system | " + " | ".join(t for _, t in columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, rows in systems.items():
        lines.append(f"| {name} | " + " | ".join(fmt(mean(rows, k)) for k, _ in columns) + " |")
    return lines


def systems_of(expdir: Path, name: str, split: str, keys: list[str] | None = None) -> dict:
    model = read_scores(expdir / f"enhanced_{split}" / "scores.csv")
    base = read_scores(expdir / f"logmmse_{split}" / "scores.csv")
    keys = sorted(model) if keys is None else keys
    noisy = [{k[6:]: v for k, v in model[u].items() if k.startswith("noisy_")} for u in keys]
    return {"noisy input": noisy, "log-MMSE": [base[u] for u in keys if u in base],
            name: [model[u] for u in keys]}


def main() -> int:
    expdir, conf, data, *splits = sys.argv[1:]
    expdir, data, name = Path(expdir), Path(data), Path(conf).stem
    present = set()
    for s in splits:
        for r in read_scores(expdir / f"enhanced_{s}" / "scores.csv").values():
            present |= set(r)
    columns = [(k, t) for k, t in COLUMNS if k in present]
    step = "?"
    if (expdir / "best.json").is_file():
        step = json.loads((expdir / "best.json").read_text()).get("step", "?")
    main_split = splits[0]
    snr_file = data / main_split / "utt2snr"
    snr = {}
    if snr_file.is_file():
        snr = dict(line.split(maxsplit=1) for line in snr_file.read_text().splitlines() if line.strip())
    out = [f"# SEGAN results: {Path(conf).name}", ""]
    out.append(
        f"Model `{expdir}` (best dev PESQ at step {step}); log-MMSE is the `logmmse` package through "
        "`audiogan denoise --baseline logmmse`. Every row is scored by `audiogan score enhancement` against "
        "the clean references (PESQ wideband, P.862.2; DNSMOS P.835 needs no reference)."
    )
    systems = systems_of(expdir, name, main_split)
    n = len(systems[name])
    out += ["", f"## `{data / main_split}`: {n} utterances, all SNRs", "", *table(systems, columns)]
    by_snr: dict[str, list[str]] = defaultdict(list)
    for u in sorted(snr):
        by_snr[snr[u]].append(u)
    if not by_snr:  # no utt2snr (a real noisy corpus): the target is checked on the whole set
        by_snr["all"] = sorted(read_scores(expdir / f"enhanced_{main_split}" / "scores.csv"))
    verdicts = []
    for level in sorted(by_snr, key=lambda v: float(v) if v != "all" else 0.0):
        sub = systems_of(expdir, name, main_split, by_snr[level])
        if level != "all":
            out += ["", f"### {level} dB SNR ({len(by_snr[level])} utterances)", "", *table(sub, columns)]
        m = {k: mean(sub[name], k) for k in ("pesq", "covl", "stoi")}
        b = {k: mean(sub["log-MMSE"], k) for k in ("pesq", "covl")}
        s0 = mean(sub["noisy input"], "stoi")
        verdicts.append((level, beats(m["pesq"], b["pesq"]), beats(m["covl"], b["covl"]),
                         beats(m["stoi"], s0, strict=False)))
    for split in splits[1:]:
        sub = systems_of(expdir, name, split)
        out += ["", f"## `{data / split}`: {len(sub[name])} utterances", "", *table(sub, columns)]
    out += ["", "## Quality target", "", "| SNR (dB) | PESQ > log-MMSE | COVL > log-MMSE | STOI >= input |",
            "|---:|:---:|:---:|:---:|"]
    yes = {True: "yes", False: "**no**", None: "n/a"}
    for level, p, c, s in verdicts:
        out.append(f"| {level} | {yes[p]} | {yes[c]} | {yes[s]} |")
    met = all(x is not False for v in verdicts for x in v[1:])
    out += ["", f"Target {'met' if met else 'NOT met'} at every SNR of the main test set.", ""]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
