"""`audiogan train MODEL --config C.yaml --outdir EXP [section.key=value ...]`.

Re-running the same command resumes from the newest readable checkpoint in EXP. Launch under
``torchrun --nproc-per-node N -m audiogan train ...`` for multi-process training.
"""

from __future__ import annotations

import argparse

from audiogan.tasks import TASKS


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a model (resumes automatically)",
        description="Train a model; re-running the same command resumes.",
    )
    p.add_argument(
        "model", choices=sorted(TASKS), metavar="MODEL", help=f"one of: {', '.join(sorted(TASKS))}"
    )
    p.add_argument("--config", "-c", help="YAML config (defaults of MODEL when omitted)")
    p.add_argument("--outdir", "-o", help="experiment dir: config, checkpoints, logs (required to train)")
    p.add_argument("overrides", nargs="*", metavar="section.key=value", help="config overrides")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    p.add_argument(
        "--restart",
        action="store_true",
        help="when no checkpoint of OUTDIR is readable, move them to checkpoints/unreadable/ and start at "
        "step 0 (without it that is an error)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from audiogan.config import dump_yaml, load_config
    from audiogan.tasks import get_task
    from audiogan.train import distributed
    from audiogan.train.trainer import Trainer

    task_cls = get_task(args.model)
    config = load_config(task_cls.default_config(), args.config, args.overrides)
    config["task"] = task_cls.name
    if args.print_config:
        print(dump_yaml(config), end="")
        return 0
    if not args.outdir:
        from audiogan.cli import UsageError

        raise UsageError("--outdir is required to train (only --print-config works without it)")
    try:
        Trainer(task_cls(config), args.outdir, restart=args.restart).fit()
    except BaseException:
        distributed.shutdown(clean=False)
        raise
    distributed.shutdown()
    return 0
