"""The checkpoint file format: atomic writes, rotation, a ``latest`` pointer, corrupt-file fallback, export.

A checkpoint holds only tensors and plain containers so it loads with ``torch.load(weights_only=True)``:
``{"format", "version", "task", "step", "config", "networks", "ema", "optimizers", "schedulers",
"scaler", "rng", "extra", "best", "sha256"}``. Inference needs nothing but this file: its networks are
rebuilt from ``config`` by :func:`audiogan.models.load_for_inference` (typed per family in
:mod:`audiogan.inference.loading`). This module is base layer: it knows the file, not the models.

Integrity: ``sha256`` is a digest of everything else in the state (every tensor's bytes, dtype and shape and
every plain value, by key path), written with it and checked by :func:`load`, so a file corrupted on disk
or in a copy (flipped bytes inside tensor data, which unpickling alone would not notice) is refused.
Files without a digest (older ones) still load.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import torch

from audiogan.errors import CheckpointError
from audiogan.paths import atomic_open, write_text_atomic

FORMAT = "audiogan-checkpoint-v1"
_NAME = re.compile(r"^checkpoint-(\d+)\.pt$")


def state_digest(state: dict[str, Any]) -> str:
    """SHA-256 (hex) of a checkpoint state without its ``sha256`` entry: tensors by bytes, dtype and shape,
    other values by ``repr``, each under its key path (dict keys in sorted order)."""
    h = hashlib.sha256()

    def walk(obj: Any, key: str) -> None:
        if isinstance(obj, torch.Tensor):
            t = obj.detach().cpu().contiguous()
            h.update(f"{key}:{t.dtype}:{tuple(t.shape)};".encode())
            if t.numel():
                h.update(t.reshape(-1).view(torch.uint8).numpy())
        elif isinstance(obj, dict):
            for k in sorted(obj, key=str):
                if not (key == "" and k == "sha256"):
                    walk(obj[k], f"{key}/{k}")
        elif isinstance(obj, (list, tuple)):
            h.update(f"{key}:{type(obj).__name__}{len(obj)};".encode())
            for i, v in enumerate(obj):
                walk(v, f"{key}[{i}]")
        else:
            h.update(f"{key}={obj!r};".encode())

    walk(state, "")
    return h.hexdigest()


def save_atomic(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """torch.save (with the state's :func:`state_digest` added as ``sha256``) to a temporary file in the same
    folder, fsync, then rename over ``path``."""
    state = {**state, "sha256": state_digest(state)}
    path = Path(path)
    with atomic_open(path, "wb") as f:  # usual permissions, fsync, rename
        torch.save(state, f)
    return path


def load(path: str | os.PathLike, mmap: bool = False) -> dict[str, Any]:
    """Load a checkpoint on the CPU with ``weights_only=True``; any failure is a CheckpointError.

    ``mmap=True`` maps the file instead of reading it: tensors that are never touched (optimizer states,
    discriminators at inference time) never reach memory.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; anything else is not ours
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated, or not written by audiogan)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        raise CheckpointError(f"{path}: not a readable checkpoint ({first})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an audiogan checkpoint")
    if "sha256" in state and state_digest(state) != state["sha256"]:
        raise CheckpointError(f"{path}: corrupt checkpoint (its SHA-256 checksum does not match the data)")
    return state


def checkpoint_dir(outdir: str | os.PathLike) -> Path:
    return Path(outdir) / "checkpoints"


def list_checkpoints(outdir: str | os.PathLike) -> list[Path]:
    """Checkpoints of an experiment, oldest first."""
    d = checkpoint_dir(outdir)
    if not d.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in d.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def write(outdir: str | os.PathLike, state: dict[str, Any], keep_last: int) -> Path:
    """Write ``checkpoint-<step>.pt``, point ``latest`` at it and delete all but the last ``keep_last``."""
    d = checkpoint_dir(outdir)
    path = save_atomic(state, d / f"checkpoint-{int(state['step'])}.pt")
    write_text_atomic(d / "latest", path.name + "\n")
    if keep_last > 0:
        for old in list_checkpoints(outdir)[:-keep_last]:
            old.unlink(missing_ok=True)
    return path


def copy_as(path: Path, target: Path) -> Path:
    """Atomic copy (used for ``best.pt``), with the usual permissions."""
    with open(path, "rb") as src, atomic_open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def load_latest(outdir: str | os.PathLike, *, set_aside_unreadable: bool = False) -> dict[str, Any] | None:
    """The newest readable checkpoint of an experiment, or None when it has none. Corrupt ones are reported
    and skipped; when there are checkpoints but none is readable, that is an error (starting afresh would
    let rotation delete the new checkpoints and keep the corrupt ones), unless ``set_aside_unreadable``
    (``audiogan train --restart``) moves them to ``checkpoints/unreadable/`` first."""
    d = checkpoint_dir(outdir)
    candidates = list_checkpoints(outdir)
    pointer = d / "latest"
    if pointer.is_file():
        named = d / pointer.read_text().strip()
        if named in candidates:  # try the pointed-at one first, then older ones
            candidates = [p for p in candidates if p != named] + [named]
    for path in reversed(candidates):
        try:
            return load(path)
        except CheckpointError as e:
            print(f"audiogan: warning: {e}; falling back to an earlier checkpoint", file=sys.stderr)
    if candidates and set_aside_unreadable:
        aside = d / "unreadable"
        aside.mkdir(exist_ok=True)
        for path in candidates:
            os.replace(path, aside / path.name)
        if pointer.is_file():
            pointer.unlink()
        print(f"audiogan: warning: {len(candidates)} unreadable checkpoint(s) moved to {aside}; "
              "starting from step 0", file=sys.stderr)
        return None
    if candidates:
        raise CheckpointError(
            f"{d}: none of its {len(candidates)} checkpoint(s) is readable; pass --restart to set them aside "
            "and start from step 0, or train into a new --outdir"
        )
    return None


def resolve(path: str | os.PathLike) -> Path:
    """A checkpoint file, or an experiment dir (its ``best.pt``, else its latest checkpoint)."""
    p = Path(path)
    if p.is_dir():
        exp = p.parent if p.name == "checkpoints" else p
        if (exp / "best.pt").is_file():
            return exp / "best.pt"
        found = list_checkpoints(exp)
        if not found:
            raise CheckpointError(f"{p}: folder holds no checkpoint")
        return found[-1]
    if not p.exists():
        raise CheckpointError(f"{p}: no such checkpoint")
    return p


def export_for_inference(
    src: str | os.PathLike, dst: str | os.PathLike, names: tuple[str, ...], *, half: bool = True
) -> Path:
    """Write an inference-only copy of a checkpoint: ``names``' weights (EMA where present), the config, the
    step and ``extra``; no discriminators, optimizers or RNG state. ``half`` stores floating tensors as fp16
    (:func:`audiogan.models.load_for_inference` loads them as fp32). The result loads like any checkpoint."""
    path = resolve(src)
    state = load(path)
    networks = {}
    for name in names:
        weights = state.get("ema", {}).get(name) or state["networks"].get(name)
        if weights is None:
            raise CheckpointError(f"{path}: holds no weights for '{name}'")
        networks[name] = {
            k: (v.half() if half and v.is_floating_point() else v).clone() for k, v in weights.items()
        }
    lean = {
        "format": FORMAT,
        "version": state.get("version", 1),
        "task": state.get("task", ""),
        "step": int(state.get("step", 0)),
        "config": state["config"],
        "networks": networks,
        "ema": {},
        "extra": state.get("extra", {}),
        "usage": state.get("usage", {}),  # the training's CPU and wall time over all its runs
        "inference_only": True,
    }
    return save_atomic(lean, dst)
