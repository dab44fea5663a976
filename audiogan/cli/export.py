"""`audiogan export CKPT OUT.pt [--fp32]`: an inference-only checkpoint (how built-in models are made).

Keeps the generator-side networks (EMA weights where present), the config, the step, the inference
settings and the training's time usage; drops discriminators, optimizer and RNG state. fp16 storage by
default (loaded as fp32). The model card ``OUT.md`` gets (or has refreshed) a "Training facts" block: the
family, steps and total CPU time over every resumed run; the rest of a card is the author's and is kept.
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
    card = write_card_facts(out.with_suffix(".md"), ckpt.load(out))
    size = out.stat().st_size / 1e6
    print(f"audiogan export: {src} -> {out} ({size:.1f} MB), card {card}", file=sys.stderr)
    return 0


CARD_BEGIN = "<!-- training facts: written by audiogan export -->"
CARD_END = "<!-- end of training facts -->"


def card_facts(state: dict) -> str:
    """The "Training facts" block of a model card from an (exported) checkpoint's state."""
    usage = state.get("usage") or {}
    cpu, wall = float(usage.get("cpu_seconds", 0.0)), float(usage.get("wall_seconds", 0.0))
    trainer = state.get("config", {}).get("trainer", {})
    lines = [
        CARD_BEGIN,
        "## Training facts",
        f"- family: `{state.get('task', '?')}`; steps: {int(state.get('step', 0)):,} "
        f"(batch {trainer.get('batch_size', '?')}, amp {trainer.get('amp', '?')})",
    ]
    if usage:
        lines.append(f"- total CPU time: {cpu / 3600:.2f} h (process CPU seconds summed over "
                     f"{int(usage.get('runs', 1))} run(s)); wall time {wall / 3600:.2f} h")
    else:
        lines.append("- total CPU time: not recorded (trained before the trainer kept it)")
    lines.append(CARD_END)
    return "\n".join(lines) + "\n"


def write_card_facts(path, state: dict):
    """Put :func:`card_facts` into the card at ``path``: replace an earlier block, else append one (a new
    card is the block under a title)."""
    from pathlib import Path

    from audiogan.paths import write_text_atomic

    path = Path(path)
    block = card_facts(state)
    text = path.read_text(encoding="utf-8") if path.is_file() else f"# {path.stem}\n\n"
    if CARD_BEGIN in text and CARD_END in text:
        head, rest = text.split(CARD_BEGIN, 1)
        text = head + block + rest.split(CARD_END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    write_text_atomic(path, text)
    return path
