"""`audiogan models [NAME]`: list the built-in models with their cards, or print one card whole."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "models",
        help="list the built-in trained models (used when a command gets no -m)",
        description="List the built-in models that ship inside the package, with their model cards. "
        "Commands use a task's default built-in when no -m is given; -m builtin:NAME names one.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="print this built-in's whole model card")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from audiogan.errors import AudioGanError
    from audiogan.pretrained import BUILTINS, DEFAULTS

    if args.name:
        name = args.name.removeprefix("builtin:")
        if name not in BUILTINS:
            known = ", ".join(BUILTINS) or "none"
            raise AudioGanError(f"unknown built-in model '{name}' (built-ins: {known})")
        print(BUILTINS[name].card().rstrip())
        return 0
    if not BUILTINS:
        print("no built-in models in this install")
        return 0
    for b in BUILTINS.values():
        size = b.path.stat().st_size / 1e6
        tag = f"  (default for `audiogan {_COMMAND.get(b.task, b.task)}`)" if _is_default(b, DEFAULTS) else ""
        print(f"builtin:{b.name}  [{b.task}, {size:.1f} MB]{tag}")
        print(f"    {b.summary}")
        if b.task in ("cyclegan_vc2", "stargan_vc2"):  # what --source/--target of `audiogan convert` take
            from audiogan.inference.loading import model_speakers

            print(f"    speakers: {' '.join(model_speakers(b.path))}")
        if b.task in ("wavegan", "specgan"):  # a conditional generator: what `generate --word` takes
            from audiogan.inference.loading import model_words

            words = model_words(b.path)
            if words:
                print(f"    words (--word): {' '.join(words)}")
        print(f"    card: {b.card_path}  (audiogan models {b.name})")
    return 0


def _is_default(b, defaults: dict[str, str]) -> bool:
    """Whether a command uses ``b`` without -m: ``denoise`` and ``generate`` take DEFAULTS[command] (either
    family) before the family's own default."""
    command = _COMMAND.get(b.task)
    if command in ("denoise", "generate") and command in defaults:
        return defaults[command] == b.name
    return defaults.get(b.task) == b.name


_COMMAND = {
    "segan": "denoise",
    "ctfgan": "denoise",
    "cyclegan_vc2": "convert",
    "stargan_vc2": "convert",
    "wavegan": "generate",
    "specgan": "generate",
    "classifier": "score generation",
}
