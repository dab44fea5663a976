"""Output paths: names found in data (utterance ids, speaker ids, sentence ids) kept inside their folder,
writability checked up front, and the package's one atomic file writer.

Data dirs come from anywhere; an id like ``../../x`` must never steer a write outside the folder it is meant
for. Every file name derived from such an id goes through :func:`child_path`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

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


def check_writable(path: str | os.PathLike, what: str = "output") -> Path:
    """Create ``path``'s folder and prove a file can be written there, before hours of work would be lost
    to a read-only or missing location; an AudioGanError (one line, no errno text) otherwise."""
    import tempfile

    from audiogan.errors import AudioGanError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
    except OSError as e:
        reason = {13: "permission denied", 30: "read-only file system", 28: "no space left"}.get(
            e.errno or 0, (e.strerror or type(e).__name__).lower())
        raise AudioGanError(f"{what} {path}: cannot write there ({reason})") from None
    os.close(fd)
    os.unlink(tmp)
    return path


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on a clean exit it is flushed, fsynced and renamed
    over ``path``, so readers see the old file or the whole new one, never a part. The file gets the
    permissions a plain ``open()`` would give (``0666 & ~umask``; mkstemp alone makes 0600). ``mode`` is
    ``"w"`` or ``"wb"``. The one atomic writer of the package: tables, features, configs, scores."""
    import tempfile

    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        if "b" not in mode:
            kwargs.setdefault("encoding", "utf-8")
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_open` for a whole text."""
    with atomic_open(path, "w") as f:
        f.write(text)
    return Path(path)
