"""`audiogan export CKPT OUT.pt [--fp32]`: an inference-only checkpoint (how built-in models are made).

Keeps the generator-side networks (EMA weights where present), the config, the step and the inference
settings; drops discriminators, optimizer and RNG state. fp16 storage by default (loaded as fp32).
"""

from __future__ import annotations

import argparse

from audiogan.models.registry import INFERENCE_NETWORKS  # family -> the networks an export keeps


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        help="write an inference-only (fp16) copy of a checkpoint, e.g. for a built-in model",
        description="Write an inference-only copy of a checkpoint: generator weights (EMA where present), "
        "config and inference settings; fp16 storage unless --fp32. The copy loads with every command's -m.",
    )
    p.add_argument("checkpoint", metavar="CKPT", help="checkpoint file or experiment dir (its best.pt)")
    p.add_argument("output", metavar="OUT", help="output .pt file (must not exist, or pass --force)")
    p.add_argument("--fp32", action="store_true", help="keep fp32 weights (twice the size)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from audiogan import checkpoint as ckpt
    from audiogan.errors import AudioGanError

    out = Path(args.output)
    if out.suffix != ".pt":
        raise AudioGanError(f"{out}: the output name must end in .pt")
    src = ckpt.resolve(args.checkpoint)
    if out.exists() and out.resolve() == src.resolve():
        raise AudioGanError(f"{out}: output would overwrite its input")
    if out.exists() and not args.force:
        raise AudioGanError(f"{out}: exists; pass --force to replace it")
    task = ckpt.load(src, mmap=True).get("task", "")
    if task not in INFERENCE_NETWORKS:
        raise AudioGanError(f"{src}: cannot export a '{task}' checkpoint")
    ckpt.export_for_inference(src, out, INFERENCE_NETWORKS[task], half=not args.fp32)
    print(f"audiogan export: {src} -> {out} ({out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0
