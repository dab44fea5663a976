"""Features in a data dir: the one ``feats.scp`` format, its writer and its reader.

Features live in ``.npz`` archives (numpy's zip of ``.npy`` arrays). The format, written by
:class:`FeatsWriter` and :func:`write_feats` (and by ``audiogan features extract``)::

    feats.scp           utt-id /abs/path/to/archive.npz:utt-id      (sorted, one line per utterance)
    archive.npz         members "<utt-id>/<name>.npy": each utterance's arrays by name (f0, coded_sp, ...)

Parallel jobs each write their own archive and merge the entries. For backward compatibility only, a
value without ``:KEY`` (``path/to/utt.npz``, one utterance per file with its arrays by name) is still read:
that is what ``audiogan.features.world extract`` wrote before, and feature dirs made then would otherwise
break. Nothing writes it any more.

Relative paths in ``feats.scp`` are taken from the current directory, falling back to the folder of the
``feats.scp`` (the rule of every ``*.scp``; :func:`audiogan.data.entries.resolve_path`).
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from audiogan.data.entries import resolve_path
from audiogan.data.tables import _ID_RE, c_sorted, read_table, write_table
from audiogan.errors import DataDirError
from audiogan.paths import check_name

FEATS_SCP = "feats.scp"


def split_feats_value(value: str) -> tuple[str, str | None]:
    """``"a.npz:KEY"`` -> ``("a.npz", "KEY")``; a bare ``"u.npz"`` (the old form) -> ``("u.npz", None)``."""
    m = re.match(r"^(.*\.npz):([^/:]+)$", value)
    return (m.group(1), m.group(2)) if m else (value, None)


_split_feats_value = split_feats_value


class FeatsWriter:
    """Stream utterances' feature dicts into one ``.npz`` archive, written atomically on close.

    >>> with FeatsWriter("exp/feats/feats.1.npz") as w:
    ...     w.write("SF1-100001", {"f0": f0, "coded_sp": sp})   # arrays of any shape/dtype
    >>> w.scp   # {"SF1-100001": "/abs/exp/feats/feats.1.npz:SF1-100001"}
    """

    def __init__(self, archive: str | os.PathLike, *, compress: bool = False):
        self.archive = Path(archive)
        if self.archive.suffix != ".npz":
            raise DataDirError(f"{self.archive}: feature archives must end in .npz")
        self.archive.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.archive.name}.", suffix=".tmp", dir=self.archive.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        self._zip = zipfile.ZipFile(self._tmp, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        self.scp: dict[str, str] = {}

    def write(self, utt: str, feats: Mapping[str, np.ndarray] | np.ndarray) -> None:
        """Add ``feats`` (a dict of arrays, or one array stored as ``"feats"``) under ``utt``."""
        if not _ID_RE.match(utt) or "/" in utt or ":" in utt:
            raise DataDirError(f"invalid utterance id {utt!r} for a feature archive")
        check_name(utt, "utterance id")
        if utt in self.scp:
            raise DataDirError(f"{self.archive}: utterance '{utt}' written twice")
        items = {"feats": feats} if isinstance(feats, np.ndarray) else dict(feats)
        if not items:
            raise DataDirError(f"{self.archive}: no arrays given for '{utt}'")
        for name, arr in items.items():
            if not re.match(r"^[A-Za-z0-9_.-]+$", name):
                raise DataDirError(f"{self.archive}: invalid feature name {name!r} of '{utt}'")
            with self._zip.open(f"{utt}/{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(arr), allow_pickle=False)
        self.scp[utt] = f"{self.archive.resolve()}:{utt}"

    def close(self, commit: bool = True) -> None:
        self._zip.close()
        if commit:
            os.replace(self._tmp, self.archive)
        elif self._tmp.exists():
            self._tmp.unlink()

    def __enter__(self) -> FeatsWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(commit=exc_type is None)


def write_feats(
    target: str | os.PathLike, feats: Mapping[str, Mapping[str, np.ndarray] | np.ndarray], *,
    compress: bool = False,
) -> dict[str, str]:
    """Write ``{utt: {name: array}}`` and return the ``feats.scp`` entries ``{utt: 'archive.npz:utt'}``.

    ``target`` is either an archive path ending in ``.npz`` (only the archive is written) or a data dir:
    then the archive is ``DATA/feats.npz`` and ``DATA/feats.scp`` is (re)written to list exactly ``feats``.
    Parallel jobs should each write their own archive and merge the returned entries with
    :func:`write_table`.
    """
    target = Path(target)
    archive = target if target.suffix == ".npz" else target / "feats.npz"
    with FeatsWriter(archive, compress=compress) as w:
        for utt in c_sorted(feats):
            w.write(utt, feats[utt])
    if archive is not target:
        write_table(target / "feats.scp", w.scp)
    return w.scp


def load_feats_entry(value: str, *, base: Path | None = None) -> dict[str, np.ndarray]:
    """Arrays of one ``feats.scp`` value (``path.npz`` or ``path.npz:key``) as ``{name: ndarray}``."""
    path_str, key = _split_feats_value(value)
    path = resolve_path(path_str, base)
    try:
        with np.load(path, allow_pickle=False) as z:
            if key is None:
                return {name: z[name] for name in z.files}
            prefix = f"{key}/"
            out = {name[len(prefix):]: z[name] for name in z.files if name.startswith(prefix)}
    except FileNotFoundError:
        raise DataDirError(f"{path}: no such feature archive") from None
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DataDirError(f"{path}: not a readable .npz archive ({e})") from None
    if not out:
        raise DataDirError(f"{path}: no features stored under '{key}'")
    return out


def read_feats(
    source: str | os.PathLike, utts: Iterable[str] | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Features of ``utts`` (default: all) as ``{utt: {name: ndarray}}``.

    ``source`` is a data dir (its ``feats.scp``), a ``feats.scp`` file, or an archive written by
    :class:`FeatsWriter` (then every utterance in it).
    """
    source = Path(source)
    if source.suffix == ".npz":
        try:
            with np.load(source, allow_pickle=False) as z:
                keys = c_sorted({name.split("/", 1)[0] for name in z.files if "/" in name})
        except FileNotFoundError:
            raise DataDirError(f"{source}: no such feature archive") from None
        except (OSError, ValueError, zipfile.BadZipFile) as e:
            raise DataDirError(f"{source}: not a readable .npz archive ({e})") from None
        scp = {k: f"{source}:{k}" for k in keys}
        base = None
    else:
        scp = read_feats_scp(source / FEATS_SCP if source.is_dir() else source)
        base = None
    wanted = c_sorted(scp) if utts is None else list(utts)
    missing = [u for u in wanted if u not in scp]
    if missing:
        raise DataDirError(f"{source}: no features for {len(missing)} utterance(s) (first: '{missing[0]}')")
    return {u: load_feats_entry(scp[u], base=base) for u in wanted}



def read_feats_scp(scp: str | os.PathLike) -> dict[str, str]:
    """``{utt: value}`` of a ``feats.scp`` (read by :func:`audiogan.data.tables.read_table`), with relative
    archive paths resolved: from the current directory, falling back to the scp's folder."""
    scp = Path(scp)
    out = {}
    for utt, value in read_table(scp).items():
        path, key = split_feats_value(value)
        resolved = str(resolve_path(path, scp.parent))
        out[utt] = resolved if key is None else f"{resolved}:{key}"
    return out
