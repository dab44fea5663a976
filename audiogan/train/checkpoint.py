"""Where the checkpoint helpers used to live; kept so existing imports keep working.

The file format is :mod:`audiogan.checkpoint` (base layer); rebuilding a checkpoint's networks is
:func:`audiogan.models.load_for_inference` (not re-exported here: ``train`` knows no model family); typed
per-family loaders are in :mod:`audiogan.inference.loading`.
"""

from audiogan.checkpoint import (
    FORMAT,
    checkpoint_dir,
    copy_as,
    export_for_inference,
    list_checkpoints,
    load,
    load_latest,
    resolve,
    save_atomic,
    state_digest,
    write,
)

__all__ = [
    "FORMAT",
    "checkpoint_dir",
    "copy_as",
    "export_for_inference",
    "list_checkpoints",
    "load",
    "load_latest",
    "resolve",
    "save_atomic",
    "state_digest",
    "write",
]
