"""`audiogan score generation [--classifier CKPT] --samples DIR [--real DATA] [--json]`.

Inception Score (mean ± std over --splits parts of the clips in a seeded random order) of the generated
clips through a classifier trained with `audiogan train classifier`; for a conditional set
(`samples/<word>/*.wav`) also the share of clips recognised as their word. With --real: a real set of the
generated set's size drawn (--seed) from --real is scored the same way (the like-for-like ceiling), and
NDB and FID (on the classifier's penultimate features) of both sets against the remaining real clips.
Warnings (stderr) when the real set is too small for that or unbalanced over the classifier's words.
--json prints one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "generation",
        help="Inception Score / FID / NDB of generated clips",
        description="Score generated audio with a trained classifier (IS, FID, NDB, word accuracy).",
    )
    p.add_argument(
        "--classifier",
        help="classifier checkpoint, experiment dir or builtin:NAME (default: the built-in Speech "
        "Commands word classifier; `audiogan models`)",
    )
    p.add_argument(
        "--samples",
        required=True,
        help="folder of generated clips; sub-folders named by word (samples/yes/*.wav): a conditional set",
    )
    p.add_argument(
        "--real",
        help="real clips: data dir (wav.scp) or folder, ideally the classifier's test speakers; enables the "
        "equal-size real scores, NDB and FID",
    )
    p.add_argument("--splits", type=int, default=10, help="IS splits (default 10)")
    p.add_argument("--ndb-bins", type=int, default=20, help="k-means bins for NDB (default 20)")
    p.add_argument("--alpha", type=float, default=0.05, help="NDB test level (default 0.05)")
    p.add_argument("--max-clips", type=int, default=0, help="use at most N clips of each set (0: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the IS shuffle, real-set draw and k-means")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default auto)")
    p.set_defaults(func=run)


DEFAULT_CLASSIFIER = "sc10-word-classifier"


def _fmt(name: str, r: dict) -> str:
    line = f"{name:<10} clips {r['clips']:>5}  IS {r['inception_score']:.3f} ± {r['inception_score_std']:.3f}"
    if "fid" in r:
        line += f"  FID {r['fid']:.3f}"
    if "ndb" in r:
        line += f"  NDB {r['ndb']}/{r['bins']} ({r['ndb_fraction']:.2f})"
    if "requested_word_accuracy" in r:
        line += f"  requested word {r['requested_word_accuracy']:.3f}"
    if "accuracy" in r:
        line += f"  accuracy {r['accuracy']:.3f} ({r['labelled_clips']} labelled)"
    return line


def run(args: argparse.Namespace) -> int:
    from audiogan.cli._common import UsageError
    from audiogan.data.clips import list_clips, subset
    from audiogan.devices import resolve_device
    from audiogan.metrics.generation import (
        equal_size,
        load_classifier,
        load_folder,
        requested_words,
        score_generation,
        set_warnings,
    )

    if args.splits < 1 or args.ndb_bins < 2 or not 0 < args.alpha < 1:
        raise UsageError("--splits must be >= 1, --ndb-bins >= 2 and --alpha in (0, 1)")
    from audiogan.pretrained import resolve_model

    classifier = resolve_model(args.classifier, "classifier")
    clf = load_classifier(classifier, resolve_device(args.device))
    samples = subset(list_clips(args.samples), args.max_clips)
    if len(samples) < args.splits:
        raise UsageError(f"--splits {args.splits} needs at least {args.splits} clips; --samples has "
                         f"{len(samples)} (pass --splits {len(samples)} or fewer)")
    requested = requested_words([c.label for c in samples], clf.labels, args.samples)
    real_paths = subset(list_clips(args.real), args.max_clips) if args.real else None
    real_labels = [c.label for c in real_paths] if real_paths else None
    if real_paths:
        n_eq = equal_size(len(samples), len(real_paths), args.ndb_bins)
        if n_eq < args.splits or len(real_paths) - n_eq < 2 * args.ndb_bins:
            raise UsageError(
                f"--real has {len(real_paths)} clips: the scored real set ({n_eq}) needs at least --splits "
                f"({args.splits}) and the reference ({len(real_paths) - n_eq}) at least 2 x --ndb-bins "
                f"({2 * args.ndb_bins}); give more real clips or lower those"
            )
        for text in set_warnings(len(samples), len(real_paths), real_labels, clf.labels, args.ndb_bins):
            print(f"audiogan: warning: {text}", file=sys.stderr)
    x = load_folder(clf, samples, progress=True)
    real = load_folder(clf, real_paths, progress=True) if real_paths else None
    results = score_generation(
        clf, x, real, args.splits, args.ndb_bins, args.alpha, args.seed, real_labels, requested
    )
    results["classifier"] = args.classifier or f"builtin:{DEFAULT_CLASSIFIER}"
    print(_fmt("generated", results["generated"]))
    if "generated_at_real_size" in results:
        print(_fmt("gen@real", results["generated_at_real_size"]))
    if "real" in results:
        print(_fmt("real", results["real"]))
    else:
        print("(FID, NDB and the real ceiling need --real)")
    if args.json:
        print(json.dumps(results))
    return 0
