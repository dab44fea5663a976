"""`audiogan generate` (not built yet)."""

from audiogan.cli._common import not_built


def register(sub) -> None:
    p = sub.add_parser("generate", help="generate (not built yet)")
    p.set_defaults(func=not_built("audiogan generate"))
