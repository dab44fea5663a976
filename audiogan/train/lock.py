"""One training at a time per experiment dir: an advisory ``flock`` on ``<outdir>/.lock``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from audiogan.errors import ConfigError


@contextlib.contextmanager
def exclusive(outdir: Path) -> Iterator[None]:
    """Hold ``<outdir>/.lock`` for the block: a second training into the same folder stops with an error
    instead of interleaving logs and checkpoints. The OS drops the lock when the process dies, so a crashed
    run never blocks the next one."""
    import fcntl

    outdir.mkdir(parents=True, exist_ok=True)
    with open(outdir / ".lock", "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            raise ConfigError(
                f"{outdir}: another training (pid {holder}) is running into this folder; "
                "wait for it or use another --outdir"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
