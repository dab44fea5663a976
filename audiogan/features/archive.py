"""The files of WORLD features in a data dir: reading ``wav.scp`` for extraction, writing and reading the
``feats.scp`` archive (the one format of :mod:`audiogan.data.feats`). Re-exported by
:mod:`audiogan.features.world`, which also reads and writes ``world.json``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from audiogan.data.entries import is_pipe, pipe_error, resolve_path
from audiogan.data.feats import FEATS_SCP, FeatsWriter, load_feats_entry  # noqa: F401 - FEATS_SCP re-exported
from audiogan.data.feats import read_feats_scp as _read_feats_scp
from audiogan.data.tables import read_table, write_table
from audiogan.errors import DataDirError
from audiogan.paths import atomic_open

WORLD_JSON = "world.json"


def save_utt_feats(path: str | os.PathLike, feats: Mapping[str, np.ndarray]) -> Path:
    """Write one utterance's arrays to a compressed ``.npz`` atomically: the old one-file-per-utterance
    form, read for backward compatibility (:func:`write_feats` writes archives)."""
    path = Path(path)
    with atomic_open(path, "wb") as f:
        np.savez_compressed(f, **{k: np.asarray(v) for k, v in feats.items()})
    return path


def load_utt_feats(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read one utterance's features (needs ``f0`` and ``coded_sp``); a bad file is a DataDirError.

    ``path`` is a ``feats.scp`` value (``archive.npz:KEY``, or the older ``utt.npz``).
    """
    try:
        feats = load_feats_entry(str(path))
    except DataDirError:
        raise
    except Exception as e:  # a damaged zip can fail in several ways inside numpy
        raise DataDirError(f"{path}: unreadable feature file ({type(e).__name__})") from None
    f0, sp = feats.get("f0"), feats.get("coded_sp")
    if f0 is None or sp is None or f0.ndim != 1 or sp.ndim != 2 or sp.shape[0] != f0.shape[0]:
        raise DataDirError(f"{path}: not a WORLD feature file (needs f0[N] and coded_sp[N, D])")
    return feats


def read_scp(path: str | os.PathLike) -> dict[str, str]:
    """Kaldi ``key value`` lines (``wav.scp``, ``feats.scp``, ``utt2spk``) as an ordered dict, read by the
    one table reader (:func:`audiogan.data.tables.read_table`)."""
    return read_table(path)


def read_wav_scp(datadir: str | os.PathLike) -> dict[str, Path]:
    """``{utt: audio path}`` from ``<datadir>/wav.scp``: the one table reader, then the rules of WORLD
    extraction on top (files only: no pipes, no ``segments``; not empty).

    Relative paths are taken from the current directory, falling back to the data dir.
    """
    datadir = Path(datadir)
    if (datadir / "segments").exists():
        raise DataDirError(
            f"{datadir}: data dirs with a 'segments' file are not supported for WORLD features"
        )
    entries = read_table(datadir / "wav.scp")
    if not entries:
        raise DataDirError(f"{datadir / 'wav.scp'}: empty")
    out: dict[str, Path] = {}
    for utt, value in entries.items():
        if is_pipe(value):
            raise pipe_error(f"{datadir}/wav.scp", utt, "WORLD feature extraction")
        out[utt] = resolve_path(value, datadir)
    return out


def write_feats(
    feats: Mapping[str, Mapping[str, np.ndarray]], feat_dir: str | os.PathLike, scp: str | os.PathLike
) -> Path:
    """Write every utterance into the archive ``<feat_dir>/<scp name>.npz`` (``feats.J.scp`` ->
    ``feats.J.npz``) and the index ``scp`` (sorted, absolute paths); returns ``scp``."""
    scp = Path(scp)
    with FeatsWriter(Path(feat_dir).resolve() / f"{scp.stem}.npz", compress=True) as w:
        for utt in sorted(feats):
            w.write(utt, feats[utt])
    write_table(scp, w.scp)
    return scp


def read_feats_scp(scp: str | os.PathLike) -> dict[str, str]:
    """``{utt: value}`` from a ``feats.scp`` (:func:`audiogan.data.feats.read_feats_scp`): relative paths
    resolved against the current directory, falling back to the scp's folder."""
    return _read_feats_scp(scp)


def load_feats(scp: str | os.PathLike, utts: Iterable[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Load the archive indexed by ``scp`` (optionally only ``utts``): ``{utt: {"f0", "coded_sp", ...}}``."""
    index = read_feats_scp(scp)
    keys = list(index) if utts is None else list(utts)
    missing = [u for u in keys if u not in index]
    if missing:
        raise DataDirError(f"{scp}: no features for utterance '{missing[0]}'")
    return {u: load_utt_feats(index[u]) for u in keys}
