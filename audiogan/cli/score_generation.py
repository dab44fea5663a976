"""`audiogan score generation --classifier CKPT --samples DIR [--real DIR] [--json]`.

Inception Score (mean ± std over --splits parts) of the generated clips through a classifier trained with
`audiogan train classifier`; with --real also NDB (k-means bins on half of the real clips) and the same
scores for the real clips as the ceiling. --json prints one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import json


def register(sub) -> None:
    p = sub.add_parser(
        "generation",
        help="Inception Score / NDB of generated clips",
        description="Score generated audio with a trained classifier (IS, NDB).",
    )
    p.add_argument(
        "--classifier",
        help="classifier checkpoint, experiment dir or builtin:NAME (default: the built-in Speech "
        "Commands word classifier; `audiogan models`)",
    )
    p.add_argument("--samples", required=True, help="folder of generated clips")
    p.add_argument(
        "--real", help="real clips: data dir (wav.scp) or folder; enables NDB and the real ceiling"
    )
    p.add_argument("--splits", type=int, default=10, help="IS splits (default 10)")
    p.add_argument("--ndb-bins", type=int, default=20, help="k-means bins for NDB (default 20)")
    p.add_argument("--alpha", type=float, default=0.05, help="NDB test level (default 0.05)")
    p.add_argument("--max-clips", type=int, default=0, help="use at most N clips of each set (0: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the real-set split and k-means")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    p.set_defaults(func=run)


DEFAULT_CLASSIFIER = "sc10-word-classifier"


def _fmt(name: str, r: dict) -> str:
    line = f"{name:<10} clips {r['clips']:>5}  IS {r['inception_score']:.3f} ± {r['inception_score_std']:.3f}"
    if "ndb" in r:
        line += f"  NDB {r['ndb']}/{r['bins']} ({r['ndb_fraction']:.2f})"
    if "accuracy" in r:
        line += f"  accuracy {r['accuracy']:.3f} ({r['labelled_clips']} labelled)"
    return line


def run(args: argparse.Namespace) -> int:
    from audiogan.audio import find_audio_files
    from audiogan.cli._common import UsageError
    from audiogan.data.clips import list_clips, subset
    from audiogan.devices import resolve_device
    from audiogan.metrics.generation import load_classifier, load_folder, score_generation

    if args.splits < 1 or args.ndb_bins < 2 or not 0 < args.alpha < 1:
        raise UsageError("--splits must be >= 1, --ndb-bins >= 2 and --alpha in (0, 1)")
    from audiogan.pretrained import resolve_model

    classifier = resolve_model(args.classifier, "classifier")
    clf = load_classifier(classifier, resolve_device(args.device))
    samples = find_audio_files([args.samples])
    real_paths = subset(list_clips(args.real), args.max_clips) if args.real else None
    if args.max_clips > 0:
        samples = samples[: args.max_clips]
    x = load_folder(clf, samples, progress=True)
    real = load_folder(clf, real_paths, progress=True) if real_paths else None
    real_labels = [c.label for c in real_paths] if real_paths else None
    results = score_generation(
        clf, x, real, args.splits, args.ndb_bins, args.alpha, args.seed, real_labels=real_labels
    )
    results["classifier"] = args.classifier or f"builtin:{DEFAULT_CLASSIFIER}"
    print(_fmt("generated", results["generated"]))
    if "real" in results:
        print(_fmt("real", results["real"]))
    else:
        print("(NDB needs --real)")
    if args.json:
        print(json.dumps(results))
    return 0
