"""The `audiogan` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``; ``main`` turns user errors
(:class:`AudioGanError`) into one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from audiogan import __version__
from audiogan.cli._common import UsageError  # noqa: F401 - re-exported (its old home)
from audiogan.errors import AudioGanError

# name -> module; imported lazily so `audiogan --help` stays fast.
SUBCOMMANDS = {
    "train": "audiogan.cli.train",
    "denoise": "audiogan.cli.denoise",
    "convert": "audiogan.cli.convert",
    "generate": "audiogan.cli.generate",
    "score": "audiogan.cli.score",
    "prepare": "audiogan.cli.prepare",
    "models": "audiogan.cli.models",
    "export": "audiogan.cli.export",
    "report": "audiogan.cli.report",
    "features": "audiogan.cli.features",
    "data": "audiogan.cli.data",
    "cache": "audiogan.cli.cache",
}


def describe_os_error(e: OSError) -> str:
    """``path: cannot write (Read-only file system)`` instead of ``[Errno 30] ...: '.x.tmp.png'``: our own
    temporary files (``.NAME.tmp...``) are reported as the file the user asked for."""
    import re

    reason = e.strerror or type(e).__name__
    if not e.filename:
        return reason if not str(e) else str(e).splitlines()[0]
    path = Path(str(e.filename))
    m = re.match(r"^\.(.+?)\.tmp", path.name)
    if m:
        path = path.with_name(m.group(1))
    return f"{path}: {reason}"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: exit code 2 and one line, like every other
        sys.stderr.write(f"audiogan: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="audiogan", description="GAN-based speech processing toolkit.")
    parser.add_argument("--version", action="version", version=f"audiogan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in SUBCOMMANDS.values():
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # `section.key=value` overrides may follow options (argparse only takes them before the first option)
    if extra and hasattr(args, "overrides") and all("=" in a and not a.startswith("-") for a in extra):
        args.overrides = list(args.overrides) + extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AudioGanError as e:
        sys.stderr.write(f"audiogan: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}\n")
        return 2
    except OSError as e:  # permissions, full disk, ...: the user's environment, not a bug
        sys.stderr.write(f"audiogan: error: {describe_os_error(e)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("audiogan: interrupted\n")
        return 130
