"""Pair reference, estimate (and optionally a third, e.g. noisy) audio files by name or utterance id.

Each input is one of:

- an audio file (all inputs must then be files; the pair's key is the estimate's file stem);
- a folder, searched recursively for .wav/.flac/.ogg files, keyed by the path relative to the folder
  without extension (``sub/utt1``); when that leaves files unmatched and every file stem is unique,
  files are matched by stem instead (``utt1``), whichever pairs more files;
- a Kaldi-style data dir (a folder holding ``wav.scp``), keyed by utterance id. For the reference a
  data dir's ``spk1.scp`` (the clean speech of an enhancement data dir, whose ``wav.scp`` is the noisy
  input) is used when present, unless ``ref_scp`` names another file. Command pipes (``... |``) and
  ark offsets are not supported. Relative paths are taken from the current directory (Kaldi's
  convention), falling back to the data dir itself.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from audiogan.audio import find_audio_files
from audiogan.errors import AudioGanError, DataDirError


class PairingWarning(UserWarning):
    """Some inputs had no partner and were skipped (``allow_missing=True``)."""


@dataclass
class _Listing:
    root: Path
    role: str  # e.g. "REF", for messages
    by_key: dict[str, Path]
    by_stem: dict[str, Path] | None  # None when stems are not unique


def _read_scp(scp: Path, data_dir: Path) -> dict[str, Path]:
    """``{utt: path}`` of a .scp file: the one table reader (:func:`audiogan.data.tables.read_table`), then
    the rules of scoring on top: every value one existing audio file, no pipes, no ark offsets."""
    from audiogan.data.entries import is_pipe, pipe_error, resolve_path
    from audiogan.data.tables import iter_table, read_table

    def where(utt: str) -> str:  # "file:line" of an entry, for the message
        return next(w for key, _, w in iter_table(scp) if key == utt)

    out: dict[str, Path] = {}
    for utt, rx in read_table(scp).items():
        if is_pipe(rx):
            raise pipe_error(where(utt), utt, "scoring")
        if len(rx.split()) != 1:
            raise DataDirError(f"{where(utt)}: expected 'utt-id path', got {1 + len(rx.split())} fields")
        if ".ark:" in rx or rx.endswith(".ark"):
            raise DataDirError(f"{where(utt)}: ark entries are not supported for scoring; list audio files")
        out[utt] = resolve_path(rx, data_dir)
    if not out:
        raise DataDirError(f"{scp}: lists no utterances")
    missing = [p for p in out.values() if not p.is_file()]
    if missing:
        raise DataDirError(f"{scp}: {len(missing)} listed file(s) do not exist (e.g. {missing[0]})")
    return out


def _unique_stems(paths: dict[str, Path]) -> dict[str, Path] | None:
    stems: dict[str, Path] = {}
    for p in paths.values():
        if p.stem in stems:
            return None
        stems[p.stem] = p
    return stems


def _list(path: str | os.PathLike, role: str, scp_name: str | None) -> _Listing:
    root = Path(path)
    if not root.exists():
        raise AudioGanError(f"{role} {root}: no such file or folder")
    if root.is_dir() and (root / "wav.scp").is_file():
        if (root / "segments").exists():
            raise DataDirError(f"{root}: data dirs with a 'segments' file are not supported for scoring")
        scp = root / (scp_name or "wav.scp")
        if scp_name is None and role == "REF" and (root / "spk1.scp").is_file():
            scp = root / "spk1.scp"  # enhancement data dir: wav.scp is noisy, spk1.scp is clean
        if not scp.is_file():
            raise DataDirError(f"{role} {root}: no {scp.name} in this data dir")
        by_key = _read_scp(scp, root)
        return _Listing(root, f"{role} {scp}", by_key, dict(by_key))
    if root.is_dir():
        by_key: dict[str, Path] = {}
        for f in find_audio_files([root]):
            key = f.relative_to(root).with_suffix("").as_posix()
            if key in by_key:
                raise AudioGanError(f"{role} {root}: both {by_key[key].name} and {f.name} are named '{key}'")
            by_key[key] = f
        return _Listing(root, f"{role} {root}", by_key, _unique_stems(by_key))
    return _Listing(root, f"{role} {root}", {root.stem: root}, {root.stem: root})


def pair_inputs(
    ref: str | os.PathLike,
    est: str | os.PathLike,
    other: str | os.PathLike | None = None,
    *,
    ref_scp: str | None = None,
    allow_missing: bool = False,
) -> list[tuple]:
    """Match files across inputs: ``[(key, ref_path, est_path[, other_path]), ...]`` sorted by key.

    ``ref_scp`` picks the .scp file of a REF data dir (default: ``spk1.scp`` if present, else
    ``wav.scp``). Files without a partner raise :class:`AudioGanError` naming how many and one example;
    with ``allow_missing`` they are skipped with a :class:`PairingWarning`. No match at all is an error.
    """
    listings = [_list(ref, "REF", ref_scp), _list(est, "EST", None)]
    if other is not None:
        listings.append(_list(other, "NOISY", None))
    files = [Path(p).is_file() for p in (ref, est, other) if p is not None]
    if any(files) and not all(files):
        raise AudioGanError("inputs must be all files or all folders/data dirs, not a mix")
    if all(files):
        key = Path(est).stem
        return [(key, *(Path(p) for p in (ref, est, other) if p is not None))]

    maps = [lst.by_key for lst in listings]
    if all(lst.by_stem for lst in listings):
        stems = [lst.by_stem for lst in listings]
        if len(set.intersection(*(set(m) for m in stems))) > len(set.intersection(*(set(m) for m in maps))):
            maps = stems
    common = sorted(set.intersection(*(set(m) for m in maps)))
    if not common:
        examples = "; ".join(f"{lst.role} has '{next(iter(m))}'" for lst, m in zip(listings, maps))
        raise AudioGanError(f"no file names or utterance ids match between the inputs ({examples})")
    problems = []
    for lst, m in zip(listings, maps):
        extra = sorted(set(m) - set(common))
        if extra:
            problems.append(f"{len(extra)} in {lst.role} (e.g. '{extra[0]}')")
    if problems:
        msg = f"files without a partner in the other input(s): {', '.join(problems)}"
        if not allow_missing:
            raise AudioGanError(f"{msg}; use --allow-missing to score only the {len(common)} matched ones")
        warnings.warn(f"{msg}; skipped, scoring the {len(common)} matched ones", PairingWarning, stacklevel=2)
    return [(k, *(m[k] for m in maps)) for k in common]
