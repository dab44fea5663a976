"""Build a Kaldi-style data dir from a folder of audio files (``audiogan prepare dir``).

Speaker (and optionally label) ids come from each file's parent folder name (for files directly in the
folder: the folder's own name), from a regular expression
over the file's path relative to the folder, or (speakers only) from the file itself. Utterance ids are
``<speaker>-<relative path without extension, '/' -> '-'>``, not repeating the speaker when the path
already starts with it, so they are unique, speaker-prefixed and stable across runs.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from audiogan.data.datadir import DataDir, utt2spk_to_spk2utt, write_table
from audiogan.errors import AudioGanError, DataDirError

_UNSAFE = re.compile(r"[\s/\\]+")


def parse_id_rule(rule: str, what: str, allow_utt: bool = False) -> tuple[str, re.Pattern | None]:
    """``'parent'``, ``'utt'`` (speakers only) or ``'regex:PATTERN'`` -> ``(kind, compiled pattern)``."""
    if rule == "parent" or (allow_utt and rule == "utt"):
        return rule, None
    if rule.startswith("regex:"):
        try:
            pattern = re.compile(rule[len("regex:"):])
        except re.error as e:
            raise AudioGanError(f"--{what}-from: invalid regular expression ({e})") from None
        return "regex", pattern
    choices = "parent, utt or regex:PATTERN" if allow_utt else "parent or regex:PATTERN"
    raise AudioGanError(f"--{what}-from must be {choices}, got {rule!r}")


def _clean_id(text: str) -> str:
    return _UNSAFE.sub("_", text.strip())


def _apply_rule(kind: str, pattern: re.Pattern | None, rel: Path, what: str, fallback: str, top: str) -> str:
    if kind == "parent":
        value = rel.parent.name or top  # files directly in FOLDER: the folder's own name
    elif kind == "utt":
        value = fallback
    else:
        assert pattern is not None
        m = pattern.search(rel.as_posix())
        if m is None:
            raise AudioGanError(f"{rel}: the {what} pattern '{pattern.pattern}' does not match this path")
        if "id" in m.groupdict():
            value = m.group("id")
        else:
            value = m.group(1) if m.groups() else m.group(0)
        if not value:
            raise AudioGanError(f"{rel}: the {what} pattern '{pattern.pattern}' matched an empty string")
    return _clean_id(value)


def prepare_dir(
    folder: str | os.PathLike,
    datadir: str | os.PathLike,
    *,
    speaker_from: str = "parent",
    label_from: str | None = None,
) -> DataDir:
    """Scan ``folder`` recursively for .wav/.flac/.ogg files and write ``datadir`` with ``wav.scp`` (absolute
    paths), ``utt2spk``, ``spk2utt``, ``utt2dur`` and, with ``label_from``, ``utt2label``.

    Rules (``speaker_from``/``label_from``): ``parent`` takes the parent folder's name; ``utt`` makes every
    file its own speaker; ``regex:PATTERN`` searches the path relative to ``folder`` (``/``-separated) and
    takes the named group ``id``, else group 1, else the whole match. Unreadable audio files are errors.
    """
    from audiogan.audio import find_audio_files, info

    folder = Path(folder)
    if not folder.is_dir():
        raise AudioGanError(f"{folder}: no such folder")
    spk_kind, spk_re = parse_id_rule(speaker_from, "speaker", allow_utt=True)
    label_rule = parse_id_rule(label_from, "label") if label_from else None
    out = Path(datadir)
    files = find_audio_files([folder])
    root = folder.resolve()
    wav, utt2spk, utt2dur, utt2label, origin = {}, {}, {}, {}, {}
    for f in files:
        path = f.resolve()
        rel = path.relative_to(root)
        stem = _clean_id(rel.with_suffix("").as_posix().replace("/", "-"))
        spk = _apply_rule(spk_kind, spk_re, rel, "speaker", stem, root.name)
        utt = stem if stem == spk or stem.startswith(f"{spk}-") else f"{spk}-{stem}"
        if utt in wav:
            raise AudioGanError(f"{origin[utt]} and {rel} both give utterance id '{utt}'; rename one")
        wav[utt] = str(path)
        utt2spk[utt] = spk
        utt2dur[utt] = info(path).duration
        origin[utt] = rel
        if label_rule is not None:
            utt2label[utt] = _apply_rule(*label_rule, rel, "label", stem, root.name)
    if not wav:
        raise AudioGanError(f"{folder}: folder holds no .wav, .flac or .ogg files")
    # written and validated in a hidden folder beside ``out`` first: a refused layout leaves no data dir
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".prepare", dir=out.parent))
    try:
        tables = {"wav.scp": wav, "utt2spk": utt2spk, "spk2utt": utt2spk_to_spk2utt(utt2spk)}
        tables["utt2dur"] = utt2dur
        if label_rule is not None:
            tables["utt2label"] = utt2label
        for name, table in tables.items():
            write_table(staging / name, table)
        try:
            DataDir(staging).validate(no_feats=True, no_text=True)
        except DataDirError as e:
            message = str(e).replace(str(staging), str(out))
            raise DataDirError(f"{message} (choose another --speaker-from rule)") from None
        out.mkdir(parents=True, exist_ok=True)
        for name in tables:
            os.replace(staging / name, out / name)
        if label_rule is None and (out / "utt2label").exists():
            (out / "utt2label").unlink()  # a stale table from an earlier run would no longer match
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DataDir(out)
