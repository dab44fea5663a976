"""Kaldi tables: the one reader and writer of ``<key> <value>`` text files.

Every table in the toolkit (``wav.scp``, ``utt2spk``, ``spk2utt``, ``segments``, ``text``, ``feats.scp``,
``spk1.scp``, ``utt2*``...) is read by :func:`read_table`, with one set of rules:

* the file is UTF-8 text (anything else is a :class:`DataDirError`); ``\\n`` or ``\\r\\n`` line ends;
* blank (or all-whitespace) lines are skipped; there is no comment syntax (as in Kaldi, ``#`` is an id);
* the key is the first whitespace-separated field, the value the rest of the line, stripped; a key
  without a value is an error unless ``allow_empty_value`` (``text``);
* a repeated key is an error naming the file and line; with ``duplicates="merge"`` identical repeated
  lines are merged and only conflicting ones are errors (``fix_data_dir``).

Readers with extra rules (file paths only, no pipes, no ark offsets) read through it and check on top.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from audiogan import paths
from audiogan.errors import DataDirError

_ID_RE = re.compile(r"^\S+$")


def c_sorted(keys: Iterable[str]) -> list[str]:
    """Keys in ``LC_ALL=C`` byte order (UTF-8 byte order equals code-point order, i.e. ``sorted``)."""
    return sorted(keys)


def read_table(
    path: str | os.PathLike,
    *,
    allow_empty_value: bool = False,
    duplicates: Literal["error", "merge"] = "error",
) -> dict[str, str]:
    """Read ``<key> <value>`` lines into a dict in file order (the rules are in the module docstring).

    Duplicate keys, missing values (unless ``allow_empty_value``, e.g. for ``text``) and non-UTF-8 bytes
    raise :class:`DataDirError` naming the file and line. ``duplicates="merge"`` accepts a key repeated
    with the same value.
    """
    table: dict[str, str] = {}
    for key, value, where in iter_table(path, allow_empty_value=allow_empty_value):
        if key in table:
            if duplicates == "merge" and table[key] == value:
                continue
            if duplicates == "merge":
                raise DataDirError(f"{where}: id '{key}' appears twice with different values; fix it by hand")
            raise DataDirError(f"{where}: duplicate id '{key}'")
        table[key] = value
    return table


def iter_table(path: str | os.PathLike, *, allow_empty_value: bool = False) -> Iterator[tuple[str, str, str]]:
    """``(key, value, "file:line")`` of every non-blank line, duplicates included (see :func:`read_table`)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise DataDirError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataDirError(f"{path}: is a directory, not a table") from None
    except UnicodeDecodeError:
        raise DataDirError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise DataDirError(f"{path}: cannot read ({e.strerror})") from None
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.strip().split(maxsplit=1)
        if not parts:
            continue
        if len(parts) == 1 and not allow_empty_value:
            raise DataDirError(f"{path}:{n}: expected '<id> <value>', got {line.strip()[:80]!r}")
        yield parts[0], parts[1].strip() if len(parts) > 1 else "", f"{path}:{n}"


def read_list_table(path: str | os.PathLike) -> dict[str, list[str]]:
    """Read a table whose values are lists (``spk2utt``): ``{key: [item, ...]}``."""
    return {k: v.split() for k, v in read_table(path).items()}


def _format_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e5 else repr(value)
    return str(value)


def write_table(path: str | os.PathLike, table: Mapping[str, Any]) -> Path:
    """Write ``table`` sorted by key in ``LC_ALL=C`` order, atomically (temporary file, then rename).

    Values may be strings, numbers (floats with 6 significant digits) or lists (joined by spaces).
    Keys must be non-empty and free of whitespace; values must be one line.
    """
    path = Path(path)
    lines = []
    for key in c_sorted(table):
        if not isinstance(key, str) or not _ID_RE.match(key):
            raise DataDirError(f"{path}: invalid id {key!r} (ids must be non-empty, without whitespace)")
        value = _format_value(table[key])
        if "\n" in value or "\r" in value:
            raise DataDirError(f"{path}: value of '{key}' spans several lines")
        lines.append(f"{key} {value}".rstrip() + "\n")
    write_text_atomic(path, "".join(lines))
    return path


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically with the usual permissions (audiogan.paths.atomic_open)."""
    paths.write_text_atomic(path, text)


def utt2spk_to_spk2utt(utt2spk: Mapping[str, str]) -> dict[str, list[str]]:
    """``{utt: spk}`` -> ``{spk: [utt, ...]}`` with speakers and utterances in C order."""
    out: dict[str, list[str]] = {}
    for utt in c_sorted(utt2spk):
        out.setdefault(utt2spk[utt], []).append(utt)
    return {spk: out[spk] for spk in c_sorted(out)}


def spk2utt_to_utt2spk(spk2utt: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """``{spk: [utt, ...]}`` -> ``{utt: spk}`` in C order; an utterance under two speakers is an error."""
    out: dict[str, str] = {}
    for spk, utts in spk2utt.items():
        for utt in utts:
            if utt in out and out[utt] != spk:
                raise DataDirError(f"utterance '{utt}' is listed under speakers '{out[utt]}' and '{spk}'")
            out[utt] = spk
    return {u: out[u] for u in c_sorted(out)}


def parse_float(value: str, where: str, key: str) -> float:
    """A finite number from a table value (``utt2dur``); DataDirError naming ``where`` and ``key``."""
    try:
        v = float(value)
    except ValueError:
        raise DataDirError(f"{where}: value of '{key}' is not a number: {value!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise DataDirError(f"{where}: value of '{key}' is not finite: {value!r}")
    return v
