#!/usr/bin/env python3
"""RESULTS.md of a WaveGAN / SpecGAN recipe run from `audiogan score generation --json`: IS, FID and NDB of
the generated clips next to a real set of the same size (and, when the real set is smaller than the
generated one, of the generated clips at the real set's size), the requested-word accuracy of a
conditional model, the classifier's accuracy, and the targets of issue 21.

Usage: results.py SCORES.json CLASSIFIER_DIR EXPERIMENT_DIR CONF DATA
"""

import datetime
import json
import subprocess
import sys
from pathlib import Path

# FID of the built-in wavegan-sc10-cpu (1,000 clips, seed 0) against the same 153 real test-speaker
# reference clips that stage 4 uses (`--real data/test`, seed 0): 81.8 (RESULTS.md section 3). The target
# of issue 21 is at most half of it.
BUILTIN_FID = 81.8


def row(name: str, res: dict) -> str:
    is_ = f"{res['inception_score']:.2f} ± {res['inception_score_std']:.2f}"
    fid = f"{res['fid']:.1f}" if "fid" in res else "-"
    ndb = f"{res['ndb']}/{res['bins']}" if "ndb" in res else "-"
    word = f"{res['requested_word_accuracy']:.3f}" if "requested_word_accuracy" in res else "-"
    return f"| {name} | {res['clips']} | {is_} | {fid} | {ndb} | {word} |"


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
    g, r, at = s["generated"], s.get("real", {}), s.get("generated_at_real_size")
    print(f"# Generation results ({Path(conf).name})\n")
    print(f"- date: {datetime.date.today().isoformat()}, commit: {commit}")
    gbest_path = Path(exp) / "best.json"
    used = json.loads(gbest_path.read_text()).get("step") if gbest_path.is_file() else steps
    print(f"- data: {data}/train for training, {data}/test (speakers never used) as the real set")
    print(f"- model: {steps} steps trained; scored checkpoint: step {used} (best.pt, else the latest)")
    if clf_dir.startswith("builtin:"):
        print(f"- classifier: {clf_dir} (this recipe's stage 1 on the same split; its card has its accuracy)")
    else:
        print(f"- classifier: {clf_dir}, held-out accuracy {best.get('value', float('nan')):.3f} "
              f"(step {best.get('step', '?')})")
    print(f"- IS: mean ± std over {s['splits']} splits of the clips in a seeded random order; FID on the "
          f"classifier's penultimate features and NDB ({g.get('bins', '?')} k-means bins, two-proportion "
          f"test at alpha={s['ndb_alpha']}) against {s.get('ndb_reference_clips', '?')} real reference "
          f"clips; the real row is a seeded draw of the other real clips\n")
    print("| clips | n | Inception Score | FID | NDB | requested word |")
    print("|---|---|---|---|---|---|")
    print(row("generated", g))
    if at:
        print(row("generated, at the real set's size", at))
    if r:
        print(row("real (test speakers)", r))
    print("\nPredicted labels of the generated clips: "
          + ", ".join(f"{k} {v}" for k, v in g.get("predicted_labels", {}).items()))
    if "accuracy" in r:
        print(f"\nClassifier accuracy on the real test clips (speaker-disjoint, never used for model "
              f"selection): {r['accuracy']:.3f} ({r['labelled_clips']} clips); on valid (selection): "
              f"{best.get('value', float('nan')):.3f}.")
    if r and "fid" in g:
        same = at or g  # compare IS at equal set sizes
        ratio = same["inception_score"] / r["inception_score"]
        half = BUILTIN_FID / 2
        checks = [(f"IS >= 60 % of the equal-size real IS ({ratio:.2f})", ratio >= 0.6),
                  (f"FID <= {half:.1f}, half the built-in's ({g['fid']:.1f})", g["fid"] <= half)]
        if "requested_word_accuracy" in g:
            acc = g["requested_word_accuracy"]
            checks.append((f">= 80 % recognised as their word ({acc:.3f})", acc >= 0.8))
        verdict = "met" if all(ok for _, ok in checks) else "NOT met"
        detail = "; ".join(f"{text}: {'yes' if ok else 'no'}" for text, ok in checks)
        print(f"\nTargets (issue 21): **{verdict}** ({detail}).")
    grid = Path(exp) / "generated" / "grid.png"
    if grid.is_file():
        print(f"\nSpectrograms of generated clips: `{grid}` (stage 3).")


if __name__ == "__main__":
    main()
