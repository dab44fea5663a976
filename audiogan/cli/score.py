"""`audiogan score {enhancement,conversion,generation}`: each metric family registers its own parser."""

import importlib

SCORERS = {
    "enhancement": "audiogan.cli.score_enhancement",
    "conversion": "audiogan.cli.score_conversion",
    "generation": "audiogan.cli.score_generation",
    "quality": "audiogan.cli.score_quality",
}


def register(sub) -> None:
    p = sub.add_parser("score", help="objective scores for enhancement, conversion, generation or quality")
    kinds = p.add_subparsers(dest="score_kind", metavar="KIND")
    for module in SCORERS.values():
        importlib.import_module(module).register(kinds)
