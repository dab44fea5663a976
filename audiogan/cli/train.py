"""`audiogan train MODEL --config C.yaml --outdir EXP [--max-minutes M] [section.key=value ...]`,
`audiogan train --status EXP`.

Re-running the same command resumes from the newest readable checkpoint in EXP. With a time budget
(``--max-minutes`` or ``trainer.max_minutes``) a run stops at the first step past it, writes a checkpoint and
exits 0, so a training can span sessions. Launch under ``torchrun --nproc-per-node N -m audiogan train ...``
for multi-process training.
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
    p.add_argument("model", nargs="?", metavar="MODEL", help=f"one of: {', '.join(sorted(TASKS))}")
    p.add_argument("--config", "-c", help="YAML config (defaults of MODEL when omitted)")
    p.add_argument("--outdir", "-o", help="experiment dir: config, checkpoints, logs (required to train)")
    p.add_argument("overrides", nargs="*", metavar="section.key=value", help="config overrides")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    p.add_argument("--max-minutes", type=_minutes, metavar="M",
                   help="time budget of this run: stop at the first step past M minutes with a checkpoint "
                   "(exit 0); the same command resumes (sets trainer.max_minutes)")
    p.add_argument("--status", metavar="EXPDIR",
                   help="print where the training in EXPDIR stands (step, best dev score, CPU time so far, "
                   "time per step, estimated time left) and exit")
    p.add_argument("--json", action="store_true", help="with --status: the status record as JSON")
    p.add_argument(
        "--restart",
        action="store_true",
        help="when no checkpoint of OUTDIR is readable, move them to checkpoints/unreadable/ and start at "
        "step 0 (without it that is an error)",
    )
    p.set_defaults(func=run)


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of minutes, got '{text}'")
    return value


def run(args: argparse.Namespace) -> int:
    from audiogan.cli._common import UsageError

    if args.status is not None:
        return _status(args)
    if args.model is None:
        raise UsageError("name the MODEL to train (or use --status EXPDIR)")
    if args.model not in TASKS:
        raise UsageError(f"unknown model '{args.model}' (choose from: {', '.join(sorted(TASKS))})")
    from audiogan.config import dump_yaml, load_config
    from audiogan.tasks import get_task
    from audiogan.train import distributed
    from audiogan.train.trainer import Trainer

    task_cls = get_task(args.model)
    overrides = list(args.overrides)
    if args.max_minutes is not None:
        overrides.append(f"trainer.max_minutes={args.max_minutes}")
    config = load_config(task_cls.default_config(), args.config, overrides)
    config["task"] = task_cls.name
    if args.print_config:
        print(dump_yaml(config), end="")
        return 0
    if not args.outdir:
        raise UsageError("--outdir is required to train (only --print-config works without it)")
    try:
        Trainer(task_cls(config), args.outdir, restart=args.restart).fit()
    except BaseException:
        distributed.shutdown(clean=False)
        raise
    distributed.shutdown()
    return 0


def _status(args: argparse.Namespace) -> int:
    import json

    from audiogan.cli._common import UsageError
    from audiogan.train.status import format_status, read_status

    if args.model is not None or args.overrides or args.config or args.outdir:
        raise UsageError("--status takes only EXPDIR (and --json)")
    record = read_status(args.status)
    print(json.dumps(record, indent=1) if args.json else format_status(args.status, record))
    return 0
