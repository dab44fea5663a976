#!/usr/bin/env python3
"""RESULTS.md (noisy-input row and model row) from the JSON of `audiogan score enhancement --json`.

Usage: results.py SCORES_JSON EXPDIR CONF TEST_DATA > RESULTS.md   (SCORES_JSON: from steps/score.sh)
"""

from __future__ import annotations

import json
import sys
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
]


def fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}" if abs(v) < 10 else f"{v:.2f}"


def main() -> int:
    scores_json, expdir, conf, test = sys.argv[1:5]
    scores = json.loads(Path(scores_json).read_text())
    step = "?"
    best = Path(expdir) / "best.json"
    if best.is_file():
        step = json.loads(best.read_text()).get("step", "?")
    print(f"# SEGAN results: {Path(conf).name}\n")
    print(
        f"Test set `{test}`: {scores.get('n_files')} noisy utterances, scored by "
        f"`audiogan score enhancement` against the clean references. "
        f"PESQ mode: {scores.get('pesq_mode')}. Model: `{expdir}` (best dev PESQ at step {step}).\n"
    )
    print("| system | " + " | ".join(t for _, t in COLUMNS) + " |")
    print("|---|" + "---:|" * len(COLUMNS))
    noisy = scores.get("noisy", {})
    print("| noisy input | " + " | ".join(fmt(noisy.get(k)) for k, _ in COLUMNS) + " |")
    print(f"| {Path(conf).stem} | " + " | ".join(fmt(scores.get(k)) for k, _ in COLUMNS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
