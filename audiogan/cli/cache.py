"""`audiogan cache segan --config YAML [section.key=value ...]`: the training-window cache of a model.

Stage 1 of the SEGAN recipes: reads the training config as ``audiogan train segan`` would (defaults <- YAML
<- overrides) and writes the pre-emphasised, resampled training windows of ``data.train_dir`` to
``data.cache_dir/segan-<key>/`` (reused when it exists), so that training starts without decoding audio.
"""

from __future__ import annotations

import argparse
import sys

MODELS = ("segan",)


def register(sub) -> None:
    p = sub.add_parser(
        "cache", help="precompute a model's training windows (SEGAN: data.train_dir -> data.cache_dir)",
        description="Precompute the training windows of MODEL from its training config, as `audiogan train "
                    "MODEL` reads it. segan: the 16 kHz pre-emphasised noisy/clean windows (model.window "
                    "samples every data.stride windows) of data.train_dir -> data.cache_dir/segan-<key>/; "
                    "an existing cache of the same data and settings is reused.")
    p.add_argument("model", choices=MODELS, metavar="MODEL", help="model whose cache to build: segan")
    p.add_argument("--config", "-c", default=None, metavar="YAML",
                   help="training config (default: the model's defaults)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("overrides", nargs="*", metavar="section.key=value",
                   help="config overrides, e.g. data.train_dir=data/train data.cache_dir=dump/cache")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from audiogan.config import load_config
    from audiogan.data.segan import build_cache
    from audiogan.errors import ConfigError
    from audiogan.tasks.segan import SEGANTask

    for o in args.overrides:
        if "=" not in o or o.startswith("-"):
            raise ConfigError(f"expected a section.key=value override, got '{o}'")
    c = load_config(SEGANTask.default_config(), args.config, args.overrides)
    d = c["data"]
    for key in ("train_dir", "cache_dir"):
        if not d.get(key):
            raise ConfigError(f"data.{key} is not set (pass data.{key}=DIR)")
    out = build_cache(d["train_dir"], d["cache_dir"], window=c["model"]["window"], stride=d["stride"],
                      preemph=d["preemph"], sample_rate=d["sample_rate"], progress=not args.no_progress)
    print(f"audiogan cache segan: {out}", file=sys.stdout)
    return 0
