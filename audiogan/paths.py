"""Output paths built from names found in data (utterance ids, speaker ids, sentence ids).

Data dirs come from anywhere; an id like ``../../x`` must never steer a write outside the folder it is meant
for. Every file name derived from such an id goes through :func:`child_path`.
"""

from __future__ import annotations

import os
from pathlib import Path

from audiogan.errors import DataDirError


def check_name(name: str, what: str = "id") -> str:
    """``name`` if it can name one file inside a folder; else a DataDirError naming ``what``.

    Refused: empty, ``.``/``..``, a path separator (``/`` or ``\\``), a NUL byte or other control characters.
    """
    if not isinstance(name, str) or not name or name in (".", ".."):
        raise DataDirError(f"{what} {name!r} cannot name a file")
    bad = [c for c in ("/", "\\", "\0") if c in name] or [c for c in name if ord(c) < 32]
    if bad:
        raise DataDirError(f"{what} {name!r} contains {bad[0]!r}, which cannot be part of a file name")
    return name


def child_path(root: str | os.PathLike, name: str, suffix: str = "", what: str = "id") -> Path:
    """``root / (name + suffix)``, refusing a ``name`` that would leave ``root`` (see :func:`check_name`)."""
    root = Path(root)
    path = root / (check_name(name, what) + suffix)
    if path.resolve().parent != root.resolve():  # e.g. a symlink named like the id pointing elsewhere
        raise DataDirError(f"{what} {name!r}: {path} would be written outside {root}")
    return path
