#!/usr/bin/env python3
"""RESULTS.md of a WaveGAN recipe: IS and NDB of real vs generated clips, classifier accuracy, setup.

Usage: results.py SCORES.json CLASSIFIER_DIR WAVEGAN_DIR CONF DATA
"""

import datetime
import json
import subprocess
import sys
from pathlib import Path


def main() -> None:
    scores_path, clf_dir, exp, conf, data = sys.argv[1:6]
    s = json.loads(Path(scores_path).read_text())
    best_path = Path(clf_dir) / "best.json"
    best = json.loads(best_path.read_text()) if best_path.is_file() else {}
    log = Path(exp) / "train_log.jsonl"
    steps = 0
    if log.is_file():
        for line in log.read_text().splitlines():
            steps = max(steps, json.loads(line).get("step", 0))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=False).stdout.strip() or "unknown"
    except OSError:
        commit = "unknown"
    g, r = s["generated"], s.get("real", {})
    print(f"# WaveGAN results ({Path(conf).name})\n")
    print(f"- date: {datetime.date.today().isoformat()}, commit: {commit}")
    gbest_path = Path(exp) / "best.json"
    used = json.loads(gbest_path.read_text()).get("step") if gbest_path.is_file() else steps
    print(f"- data: {data}/train for training, {data}/test as the real reference")
    print(f"- WaveGAN: {steps} steps trained; scored checkpoint: step {used} (best.pt, else the latest)")
    print(f"- classifier: {clf_dir}, held-out accuracy {best.get('value', float('nan')):.3f} "
          f"(step {best.get('step', '?')})")
    print(f"- IS: mean ± std over {s['splits']} splits; NDB: {g.get('bins', '?')} k-means bins on "
          f"{s.get('ndb_reference_clips', '?')} real reference clips, two-proportion test at "
          f"alpha={s['ndb_alpha']}\n")
    print("| clips | n | Inception Score | NDB | NDB/K |")
    print("|---|---|---|---|---|")
    for name, res in (("real (test)", r), ("generated", g)):
        if not res:
            continue
        ndb = f"{res['ndb']}" if "ndb" in res else "-"
        frac = f"{res['ndb_fraction']:.2f}" if "ndb" in res else "-"
        n = res.get("ndb_tested_clips", res["clips"]) if name.startswith("real") else res["clips"]
        is_ = f"{res['inception_score']:.3f} ± {res['inception_score_std']:.3f}"
        print(f"| {name} | {n} | {is_} | {ndb} | {frac} |")
    print("\nPredicted labels of the generated clips: "
          + ", ".join(f"{k} {v}" for k, v in g.get("predicted_labels", {}).items()))
    if "accuracy" in r:
        print(f"\nClassifier accuracy on the real test clips (speaker-disjoint, never used for model "
              f"selection): {r['accuracy']:.3f} ({r['labelled_clips']} clips); on valid (selection): "
              f"{best.get('value', float('nan')):.3f}.")
    if r and "ndb" in g:
        ratio = g["inception_score"] / r["inception_score"]
        is_ok, ndb_ok = ratio >= 0.5, g["ndb"] <= g["bins"] // 2
        verdict = "met" if is_ok and ndb_ok else "NOT met"
        half = g["bins"] // 2
        print(f"\nTarget (IS >= 50 % of the real clips', NDB <= {half} of {g['bins']}): **{verdict}** "
              f"(IS ratio {ratio:.2f}{'' if is_ok else ' < 0.50'}, NDB {g['ndb']}/{g['bins']}).")
    grid = Path(exp) / "generated" / "grid.png"
    if grid.is_file():
        print(f"\nSpectrograms of generated clips: `{grid}` (stage 3).")


if __name__ == "__main__":
    main()
