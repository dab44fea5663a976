"""`audiogan score generation` (not built yet)."""

from audiogan.cli._common import not_built


def register(sub) -> None:
    p = sub.add_parser("generation", help="generation scores (not built yet)")
    p.set_defaults(func=not_built("audiogan score generation"))
