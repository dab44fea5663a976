"""Operations on whole data dirs, as Kaldi's ``utils/`` scripts: fix, subset, split, combine, utt2dur,
link-audio (a folder of files for folder tools) and collect (a data dir of processed outputs)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from audiogan.data.datadir import DataDir, _table_kind, is_table_name
from audiogan.data.entries import _AUDIO_EXTENSIONS, entry_duration, is_pipe, parse_segment, resolve_path
from audiogan.data.tables import c_sorted, read_table, spk2utt_to_utt2spk, utt2spk_to_spk2utt, write_table
from audiogan.errors import AudioError, DataDirError


def fix_data_dir(path: str | os.PathLike) -> tuple[int, int]:
    """Make a data dir consistent like Kaldi's ``fix_data_dir.sh``; returns ``(kept, before)`` utt counts.

    Sorts every table, merges identical duplicate lines, keeps only utterances present in every
    utterance table (and whose recording is in ``wav.scp``), drops recordings and speakers left unused,
    and rewrites ``spk2utt``. The original tables are copied to ``DATA/.backup/`` first.
    """
    d = DataDir(path)
    names = d.table_files()
    if "utt2spk" not in names and "spk2utt" not in names:
        raise DataDirError(f"{d.path}: no utt2spk (or spk2utt) in this data dir")
    tables = {n: read_table(d.path / n, allow_empty_value=n == "text", duplicates="merge") for n in names}
    if "utt2spk" not in tables:
        tables["utt2spk"] = spk2utt_to_utt2spk({k: v.split() for k, v in tables["spk2utt"].items()})
    utt2spk = tables["utt2spk"]
    before = len(utt2spk)
    segments = {u: parse_segment(v, f"{d.path}/segments") for u, v in tables.get("segments", {}).items()}
    has_segments = "segments" in tables
    wav = tables.get("wav.scp")

    keep = set(utt2spk)
    reco_names = {"wav.scp"} | {n for n in names if n.startswith("reco2")}
    all_recos = set(wav) if wav is not None else set(s.recording for s in segments.values())
    for name, table in tables.items():
        if name in ("utt2spk", "spk2utt") or name in reco_names or name.startswith("spk2"):
            continue
        if has_segments and name.endswith(".scp") and name != "feats.scp" and set(table) <= all_recos:
            continue  # recording-level audio table, filtered below
        keep &= set(table)
    if has_segments:
        keep = {u for u in keep if u in segments and segments[u].recording in all_recos}
    elif wav is not None:
        keep &= set(wav)
    if not keep:
        raise DataDirError(f"{d.path}: no utterance is present in every table; nothing would be left")
    used_recos = {segments[u].recording for u in keep} if has_segments else set(keep)
    new_utt2spk = {u: utt2spk[u] for u in keep}
    speakers = set(new_utt2spk.values())

    backup = d.path / ".backup"
    backup.mkdir(exist_ok=True)
    for name in names:
        shutil.copy2(d.path / name, backup / name)
    for name, table in tables.items():
        if name == "spk2utt":
            continue
        if name in reco_names or (has_segments and name.endswith(".scp") and name != "feats.scp"
                                  and set(table) <= all_recos):
            out = {k: v for k, v in table.items() if k in used_recos}
        elif name.startswith("spk2"):
            out = {k: v for k, v in table.items() if k in speakers}
        else:
            out = {k: v for k, v in table.items() if k in keep}
        write_table(d.path / name, out)
    write_table(d.path / "spk2utt", utt2spk_to_spk2utt(new_utt2spk))
    return len(keep), before


def subset_data_dir(src: str | os.PathLike, dest: str | os.PathLike, utts: Iterable[str]) -> DataDir:
    """Write a data dir at ``dest`` holding only ``utts`` of ``src`` (every table filtered consistently)."""
    s = DataDir(src)
    keep = set(utts)
    unknown = c_sorted(keep - set(s.utts))
    if unknown:
        raise DataDirError(f"{s.path}: {len(unknown)} requested utterance(s) not in this dir "
                           f"(first: '{unknown[0]}')")
    if not keep:
        raise DataDirError(f"{s.path}: the subset would be empty")
    dest = Path(dest)
    if dest.resolve() == s.path.resolve():
        raise DataDirError(f"{dest}: the subset must go to a different dir than its source")
    dest.mkdir(parents=True, exist_ok=True)
    for p in dest.iterdir():  # a re-run must not leave tables of an earlier subset behind
        if p.is_file() and is_table_name(p.name):
            p.unlink()
    utt2spk = {u: s.utt2spk[u] for u in keep}
    speakers = set(utt2spk.values())
    recos = {s.recording(u)[0] for u in keep}
    all_recos = set(s.wav_scp) if s.has("wav.scp") else recos
    for name in s.table_files():
        if name == "spk2utt":
            continue
        table = read_table(s.path / name, allow_empty_value=name == "text")
        if name == "utt2spk":
            out = utt2spk
        else:
            kind = _table_kind(name, table, all_recos) if s.segments is not None else (
                "spk" if name.startswith("spk2") else "utt")
            wanted = {"utt": keep, "spk": speakers, "reco": recos}[kind]
            out = {k: v for k, v in table.items() if k in wanted}
        write_table(dest / name, out)
    write_table(dest / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    return DataDir(dest)


def split_list(items: Sequence[str], n: int, groups: Mapping[str, str] | None = None) -> list[list[str]]:
    """Split ``items`` (in order) into ``n`` contiguous, non-empty parts of nearly equal size.

    With ``groups`` (``{item: group}``, e.g. utt2spk) no group is split across parts; the cuts are put
    where the cumulative count is nearest to ``i * len(items) / n``. The same rule as ``split_scp.pl``.
    """
    if n < 1:
        raise DataDirError(f"cannot split into {n} parts")
    if groups is None:
        if n > len(items):
            raise DataDirError(f"cannot split {len(items)} item(s) into {n} non-empty parts")
        return [list(items[i * len(items) // n:(i + 1) * len(items) // n]) for i in range(n)]
    units: list[list[str]] = []
    seen: set[str] = set()
    for item in items:
        g = groups.get(item)
        if g is None:
            raise DataDirError(f"'{item}' has no speaker")
        if units and groups[units[-1][0]] == g:
            units[-1].append(item)
        elif g in seen:
            raise DataDirError(f"utterances of speaker '{g}' are not contiguous; sort by utterance id "
                               "with speaker-prefixed ids")
        else:
            seen.add(g)
            units.append([item])
    if n > len(units):
        raise DataDirError(f"cannot split {len(units)} speaker(s) into {n} parts; use fewer jobs or "
                           "--per-utt")
    cum = np.cumsum([0] + [len(u) for u in units])
    total = cum[-1]
    cuts = [0]
    for i in range(1, n):
        lo, hi = cuts[-1] + 1, len(units) - (n - i)
        target = i * total / n
        best = min(range(lo, hi + 1), key=lambda j: (abs(cum[j] - target), j))
        cuts.append(best)
    cuts.append(len(units))
    return [[x for u in units[cuts[i]:cuts[i + 1]] for x in u] for i in range(n)]


def split_data_dir(path: str | os.PathLike, n: int, *, per_utt: bool = False) -> list[DataDir]:
    """Split into ``DATA/split{n}[utt]/{1..n}`` (by speaker unless ``per_utt``), as split_data.sh."""
    d = DataDir(path)
    parts = split_list(d.utts, n, None if per_utt else d.utt2spk)
    root = d.path / f"split{n}{'utt' if per_utt else ''}"
    return [subset_data_dir(d.path, root / str(i), utts) for i, utts in enumerate(parts, 1)]


def combine_data_dirs(
    dest: str | os.PathLike, srcs: Sequence[str | os.PathLike]
) -> tuple[DataDir, list[str]]:
    """Concatenate data dirs into ``dest``; returns the new dir and the tables dropped (absent in some).

    Tables present in every source are combined; an id appearing in two sources with different values is
    an error. Sources without ``segments`` get whole-recording segments (``utt utt 0 -1``) when another
    source has them.
    """
    if not srcs:
        raise DataDirError("combine needs at least one source data dir")
    dirs = [DataDir(s) for s in srcs]
    dest = Path(dest)
    for s in dirs:
        if s.path.resolve() == dest.resolve():
            raise DataDirError(f"{dest}: the destination must not be one of the sources")
    any_segments = any(s.has("segments") for s in dirs)
    names_per_dir = [set(s.table_files()) | ({"segments"} if any_segments else set()) for s in dirs]
    common = set.intersection(*names_per_dir)
    dropped = c_sorted(set.union(*names_per_dir) - common)
    combined: dict[str, dict[str, str]] = {}
    for s in dirs:
        for name in c_sorted(common):
            if name == "spk2utt":
                continue
            if name == "segments" and not s.has("segments"):
                table = {u: f"{u} 0 -1" for u in s.utts}
            else:
                table = read_table(s.path / name, allow_empty_value=name == "text")
            out = combined.setdefault(name, {})
            for k, v in table.items():
                if k in out and out[k] != v:
                    raise DataDirError(f"{s.path}/{name}: id '{k}' is also in another source with a "
                                       "different value; make ids unique before combining")
                out[k] = v
    if "utt2spk" not in combined:
        raise DataDirError("combine: every source needs utt2spk")
    dest.mkdir(parents=True, exist_ok=True)
    for p in dest.iterdir():
        if p.is_file() and is_table_name(p.name):
            p.unlink()
    for name, table in combined.items():
        write_table(dest / name, table)
    write_table(dest / "spk2utt", utt2spk_to_spk2utt(combined["utt2spk"]))
    return DataDir(dest), [n for n in dropped if n != "spk2utt"]


def compute_utt2dur(path: str | os.PathLike) -> dict[str, float]:
    """Write and return ``utt2dur`` (seconds) from segments, audio headers, or by running pipes."""
    d = DataDir(path)
    out: dict[str, float] = {}
    rec_dur: dict[str, float] = {}
    for utt in d.utts:
        rec, start, end = d.recording(utt)
        if end is not None:
            out[utt] = end - start
            continue
        if rec not in d.wav_scp:
            raise DataDirError(f"{d.path}/wav.scp: no entry for '{rec}'")
        if rec not in rec_dur:
            rec_dur[rec] = entry_duration(d.wav_scp[rec], base=d.path, what=f"{d.path}/wav.scp: '{rec}'")
        out[utt] = rec_dur[rec] - start
    write_table(d.path / "utt2dur", out)
    return out


def link_audio(path: str | os.PathLike, dest: str | os.PathLike, *, scp: str = "wav.scp") -> int:
    """Make ``dest`` a folder of ``<utt>.<ext>`` files for the tools that take folders; returns the count.

    Whole files become symbolic links; pipes and segments are decoded and written as 16-bit WAV (float
    WAV for float sources would be overkill: every corpus here is 16-bit). Old entries in ``dest`` are
    removed first.
    """
    d = DataDir(path)
    dest = Path(dest)
    if dest.exists():
        for p in dest.iterdir():
            if p.is_symlink() or p.is_file():
                p.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    table = d.wav_scp if scp == "wav.scp" else d.extra(scp)
    for utt in d.utts:
        if "/" in utt:
            raise DataDirError(f"{d.path}: utterance id '{utt}' contains '/', which cannot name a file")
        rec, start, end = d.recording(utt)
        value = table.get(rec) if rec in table else table.get(utt)
        if value is None:
            raise DataDirError(f"{d.path}/{scp}: no entry for '{rec}'")
        if d.segments is None and not is_pipe(value):
            src = resolve_path(value, d.path).resolve()
            if not src.is_file():
                raise AudioError(f"{d.path}/{scp}: '{utt}': {src}: no such file")
            os.symlink(src, dest / f"{utt}{src.suffix.lower()}")
        else:
            from audiogan.audio import save

            x, sr = d.load_audio(utt, scp=scp)
            save(dest / f"{utt}.wav", x, sr, subtype="PCM_16", guard=False)
    return len(d.utts)


def collect_outputs(
    data: str | os.PathLike, audio_dir: str | os.PathLike, out: str | os.PathLike
) -> DataDir:
    """Data dir ``out`` for processed audio: ``wav.scp`` lists ``audio_dir/**/<utt>.<ext>`` for every
    utterance of ``data`` (falling back to the stem of each input file), beside ``data``'s ``utt2spk``,
    ``spk2utt``, ``spk1.scp``, ``text`` and other ``utt2*``/``spk2*`` tables (not ``utt2dur``: lengths may
    change).
    """
    d = DataDir(data)
    audio_dir = Path(audio_dir)
    if not audio_dir.is_dir():
        raise DataDirError(f"{audio_dir}: no such folder of outputs")
    by_stem: dict[str, list[Path]] = {}
    for p in sorted(audio_dir.rglob("*")):
        if p.is_file() and p.suffix.lower() in _AUDIO_EXTENSIONS:
            by_stem.setdefault(p.stem, []).append(p.resolve())
    wav: dict[str, str] = {}
    missing = []
    for utt in d.utts:
        cands = by_stem.get(utt)
        if not cands and d.segments is None and utt in d.wav_scp and not is_pipe(d.wav_scp[utt]):
            cands = by_stem.get(Path(d.wav_scp[utt]).stem)
        if not cands:
            missing.append(utt)
        elif len(cands) > 1:
            raise DataDirError(f"{audio_dir}: several outputs for '{utt}': {cands[0]} and {cands[1]}")
        else:
            wav[utt] = str(cands[0])
    if missing:
        raise DataDirError(f"{audio_dir}: no output for {len(missing)} of {len(d.utts)} utterance(s) "
                           f"(first: '{missing[0]}')")
    out = Path(out)
    if out.resolve() == d.path.resolve():
        raise DataDirError(f"{out}: the output data dir must differ from its source")
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "wav.scp", wav)
    for name in d.table_files():
        if name in ("wav.scp", "segments", "utt2dur", "feats.scp", "spk2utt") or name.startswith("reco2"):
            continue
        if name.endswith(".scp") and d.segments is not None:
            continue  # recording-level audio; it cannot pair with per-utterance outputs
        table = read_table(d.path / name, allow_empty_value=True)
        write_table(out / name, {k: v for k, v in table.items() if k in wav or name.startswith("spk2")})
    write_table(out / "spk2utt", utt2spk_to_spk2utt({u: d.utt2spk[u] for u in wav}))
    return DataDir(out)
