#!/usr/bin/env python3
"""Compare WaveGAN runs at equal wall time: training-time Inception Score against elapsed minutes.

Usage: compare.py OUT.png EXPDIR [EXPDIR ...] > table.md

Each run's train_log.jsonl holds the training records (``elapsed_s`` since the process started; a resumed
run continues from its last record) and the evaluation records (``eval_inception_score`` on
``eval.is_samples`` clips of the generator's EMA weights). Prints a markdown table of the IS every run had
reached after each 10 minutes, and writes the curves to OUT.png.
"""

import json
import sys
from pathlib import Path


def curve(exp: Path) -> list[tuple[float, int, float]]:
    """``[(minutes, step, IS), ...]`` of one run."""
    elapsed, offset, last, points = {}, 0.0, 0.0, []
    for line in (exp / "train_log.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if "elapsed_s" in rec:
            if rec["elapsed_s"] + offset < last:  # a resume restarts the clock
                offset = last
            last = rec["elapsed_s"] + offset
            elapsed[rec["step"]] = last
        if "eval_inception_score" in rec and rec["step"] in elapsed:
            points.append((elapsed[rec["step"]] / 60, rec["step"], rec["eval_inception_score"]))
    return points


def main() -> None:
    out, exps = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    curves = {e.name: curve(e) for e in exps}
    end = max(p[0] for c in curves.values() for p in c)
    marks = list(range(10, int(end) + 1, 10))
    print("| run | " + " | ".join(f"{m} min" for m in marks) + " | best IS (step, min) |")
    print("|---|" + "---|" * (len(marks) + 1))
    for name, c in curves.items():
        cells = []
        for m in marks:
            reached = [p for p in c if p[0] <= m]
            cells.append(f"{max(p[2] for p in reached):.2f}" if reached else "-")
        best = max(c, key=lambda p: p[2])
        print(f"| {name} | " + " | ".join(cells) + f" | {best[2]:.2f} ({best[1]}, {best[0]:.0f}) |")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, c in curves.items():
        ax.plot([p[0] for p in c], [p[2] for p in c], marker="o", ms=3, label=name)
    ax.set_xlabel("wall time (minutes, one CPU core each)")
    ax.set_ylabel("Inception Score (training eval)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main()
