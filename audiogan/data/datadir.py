"""Kaldi-style data directories: read, write, validate, fix, subset, split and combine them.

A data dir is a folder of plain-text tables, one ``<key> <value>`` line each, sorted in ``LC_ALL=C`` byte
order with unique keys (for UTF-8 text that is Python's ``sorted`` order, because UTF-8 keeps code-point
order)::

    wav.scp     utt-id  path/to/audio.{wav,flac,ogg}      (or a shell command ending in '|' that writes audio
                                                           to stdout, e.g. 'sox in.sph -t wav - |')
    utt2spk     utt-id  speaker-id                         (utt ids start with their speaker id)
    spk2utt     speaker-id  utt-id utt-id ...
    segments    utt-id  recording-id  start  end           (seconds; end -1 = to the end of the recording;
                                                           wav.scp is then keyed by recording id)
    text        utt-id  transcription                      (optional)
    utt2dur     utt-id  seconds                            (optional)
    feats.scp   utt-id  path/to/feats.npz[:key]            (optional; see :func:`write_feats`)
    spk1.scp    utt-id  clean reference (enhancement data; wav.scp then holds the noisy audio)
    utt2* spk2* reco2* *.scp  any other table keyed by utterance, speaker or recording (utt2snr, ...)

Relative paths in ``*.scp`` files are taken from the current directory (Kaldi's convention), falling back
to the data dir itself; the tools here write absolute paths.

This module is also the engine of ``recipes/utils/*.sh``::

    python3 -m audiogan.data.datadir validate [--no-feats] [--no-text] [--no-wav] DATA
    python3 -m audiogan.data.datadir fix DATA
    python3 -m audiogan.data.datadir subset [--first N|--last N|--per-spk N|--shortest N|--even N|
                                             --utt-list F|--spk-list F] SRC DEST
    python3 -m audiogan.data.datadir combine DEST SRC...
    python3 -m audiogan.data.datadir split [--per-utt] DATA N
    python3 -m audiogan.data.datadir utt2dur DATA
    python3 -m audiogan.data.datadir link-audio [--scp S] DATA DEST  # DEST/<utt>.<ext> for folder tools
    python3 -m audiogan.data.datadir collect DATA AUDIO_DIR OUT      # data dir of processed outputs
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from audiogan import paths
from audiogan.errors import AudioError, DataDirError
from audiogan.paths import check_name

# Tables with a fixed meaning; any other ``utt2*``, ``spk2*``, ``reco2*`` or ``*.scp`` file is an "extra".
KNOWN_TABLES = ("wav.scp", "utt2spk", "spk2utt", "segments", "text", "utt2dur", "feats.scp")
_ID_RE = re.compile(r"^\S+$")
# audiogan.audio.AUDIO_EXTENSIONS, repeated so the table tools start without importing torch.
_AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")


# --------------------------------------------------------------------------------------------- tables
def c_sorted(keys: Iterable[str]) -> list[str]:
    """Keys in ``LC_ALL=C`` byte order (UTF-8 byte order equals code-point order, i.e. ``sorted``)."""
    return sorted(keys)


def read_table(path: str | os.PathLike, *, allow_empty_value: bool = False) -> dict[str, str]:
    """Read ``<key> <value>`` lines into a dict in file order (blank lines are skipped).

    The key is the first whitespace-separated field, the value the rest of the line (stripped). Duplicate
    keys, missing values (unless ``allow_empty_value``, e.g. for ``text``) and non-UTF-8 bytes raise
    :class:`DataDirError` naming the file and line.
    """
    table: dict[str, str] = {}
    for key, value, where in _iter_lines(path, allow_empty_value):
        if key in table:
            raise DataDirError(f"{where}: duplicate id '{key}'")
        table[key] = value
    return table


def _iter_lines(path: str | os.PathLike, allow_empty_value: bool = False) -> Iterator[tuple[str, str, str]]:
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


# ------------------------------------------------------------------------------------------- audio
@dataclass(frozen=True)
class Segment:
    """A ``segments`` line: the utterance is ``recording[start:end]`` in s (``end=None``: to the end)."""

    recording: str
    start: float
    end: float | None


def is_pipe(value: str) -> bool:
    """True for a ``wav.scp`` value that is a shell command writing audio to stdout (``'cmd args |'``)."""
    return value.rstrip().endswith("|")


# The one pipe policy (docs/data.md, "Pipes"): as in Kaldi, a ``wav.scp`` value ending in ``|`` is a shell
# command, run by the readers that decode entries (read_audio_entry: WaveGAN and classifier training,
# score generation --real, prepare mix, utt2dur, link-audio). AUDIOGAN_NO_PIPES=1 refuses every one, for
# data dirs from sources you do not trust. Readers that need real files (SEGAN pairs, WORLD extraction,
# enhancement and conversion scoring) refuse pipes with pipe_error, which says how to materialise them.
NO_PIPES_ENV = "AUDIOGAN_NO_PIPES"
_warned_pipes = False


def pipes_allowed() -> bool:
    return os.environ.get(NO_PIPES_ENV, "").strip() not in ("1", "true", "yes")


def pipe_error(where: str, utt: str, reader: str) -> DataDirError:
    """The refusal of a file-only reader: names the entry and the way out."""
    return DataDirError(
        f"{where}: '{utt}' is a command pipe ('... |'); {reader} reads audio files only: decode the data "
        f"dir to files first (python3 -m audiogan.data.datadir link-audio DATA_DIR OUT_FOLDER)"
    )


def _resolve_path(value: str, base: Path | None) -> Path:
    p = Path(value)
    if not p.is_absolute() and not p.exists() and base is not None and (base / p).exists():
        p = base / p
    return p


def read_audio_entry(
    value: str, *, start: float = 0.0, end: float | None = None, base: Path | None = None, what: str = ""
) -> tuple[np.ndarray, int]:
    """Audio of one ``wav.scp`` value (a path or a ``'command |'``), optionally cut to ``[start, end)`` s.

    Returns ``(x: ndarray[C, T] float32, sample_rate)``. Failures raise :class:`AudioError` naming ``what``.
    """
    import soundfile as sf

    prefix = f"{what}: " if what else ""
    if is_pipe(value):
        global _warned_pipes
        cmd = value.rstrip()[:-1].strip()
        if not pipes_allowed():
            raise AudioError(f"{prefix}command pipe '{cmd} |' refused ({NO_PIPES_ENV}=1)")
        if not _warned_pipes:
            _warned_pipes = True
            print(
                f"audiogan: warning: running shell commands listed in wav.scp (e.g. for {what or cmd}); "
                f"only use data dirs you trust, or set {NO_PIPES_ENV}=1 to refuse them",
                file=sys.stderr,
            )
        try:
            proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, check=False)
        except OSError as e:
            raise AudioError(f"{prefix}cannot run command '{cmd}' ({e.strerror})") from None
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            tail = f": {err[-1][:200]}" if err else ""
            raise AudioError(f"{prefix}command '{cmd}' failed with exit code {proc.returncode}{tail}")
        if not proc.stdout:
            raise AudioError(f"{prefix}command '{cmd}' wrote no audio to stdout")
        try:
            data, sr = sf.read(io.BytesIO(proc.stdout), dtype="float32", always_2d=True)
        except Exception as e:  # libsndfile raises several types for non-audio bytes
            raise AudioError(f"{prefix}command '{cmd}' did not write readable audio ({e})") from None
        x = np.ascontiguousarray(data.T)
        s0 = int(round(start * sr))
        s1 = x.shape[1] if end is None else int(round(end * sr))
        if s0 >= x.shape[1]:
            raise AudioError(f"{prefix}segment starts at {start:.3f} s, after the end of the audio")
        x = x[:, s0:s1]
    else:
        from audiogan import audio

        path = _resolve_path(value, base)
        try:
            meta = audio.info(path)
            sr = meta.sample_rate
            s0 = int(round(start * sr))
            if s0 >= meta.frames:
                raise AudioError(f"{path}: segment starts at {start:.3f} s, after the end "
                                 f"({meta.duration:.3f} s)")
            frames = -1 if end is None else max(0, int(round(end * sr)) - s0)
            x, sr = audio.load(path, start=s0, frames=frames)
        except AudioError as e:
            raise AudioError(f"{prefix}{e}") from None
    if x.shape[1] == 0:
        raise AudioError(f"{prefix}no audio samples")
    if not np.isfinite(x).all():
        raise AudioError(f"{prefix}contains NaN or Inf samples")
    return x, int(sr)


def entry_duration(value: str, *, base: Path | None = None, what: str = "") -> float:
    """Duration in seconds of a ``wav.scp`` value (a header read for files, a full decode for pipes)."""
    if is_pipe(value):
        x, sr = read_audio_entry(value, base=base, what=what)
        return x.shape[1] / sr
    import soundfile as sf

    # A header read with soundfile alone: audiogan.audio would import torch, which costs every
    # parallel utt2dur job a second or more of start-up for nothing.
    path = _resolve_path(value, base)
    prefix = f"{what}: " if what else ""
    if not path.is_file():
        raise AudioError(f"{prefix}{path}: no such file")
    try:
        i = sf.info(str(path))
    except Exception as e:  # libsndfile raises several types for non-audio data
        raise AudioError(f"{prefix}{path}: not a readable audio file ({str(e).strip()[:200]})") from None
    if i.frames <= 0:
        raise AudioError(f"{prefix}{path}: contains no audio samples")
    return i.frames / i.samplerate


# ------------------------------------------------------------------------------------------ DataDir
class DataDir:
    """A Kaldi-style data directory; tables are read lazily and cached.

    >>> d = DataDir("data/train")
    >>> d.utts[:2], d.utt2spk["SF1-100001"], d.wav_scp["SF1-100001"]
    >>> x, sr = d.load_audio("SF1-100001", sample_rate=16000)   # x: ndarray[C, T] float32
    >>> clean, sr = d.load_audio("SF1-100001", scp="spk1.scp")  # another audio table, same rules

    Attributes are plain dicts in C order: ``wav_scp``, ``utt2spk`` (``{utt: spk}``), ``spk2utt``
    (``{spk: [utt, ...]}``, derived from ``utt2spk`` when the file is absent), ``segments``
    (``{utt: Segment}`` or ``None``), ``text``, ``utt2dur`` (``{utt: float}``), ``feats_scp`` (``None``
    when absent). ``extra(name)`` reads any other table. Tables are not re-read after a change on disk;
    make a new ``DataDir``.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_dir():
            raise DataDirError(f"{self.path}: no such data dir")

    def __repr__(self) -> str:
        return f"DataDir('{self.path}')"

    def has(self, name: str) -> bool:
        """Whether the table file ``name`` exists."""
        return (self.path / name).is_file()

    def _required(self, name: str) -> dict[str, str]:
        if not self.has(name):
            raise DataDirError(f"{self.path}: no {name} in this data dir")
        return read_table(self.path / name)

    def _optional(self, name: str, allow_empty_value: bool = False) -> dict[str, str] | None:
        return read_table(self.path / name, allow_empty_value=allow_empty_value) if self.has(name) else None

    @cached_property
    def wav_scp(self) -> dict[str, str]:
        """``{utt-or-recording: path or 'command |'}``."""
        return self._required("wav.scp")

    @cached_property
    def utt2spk(self) -> dict[str, str]:
        """``{utt: spk}``; built from ``spk2utt`` when only that exists."""
        if not self.has("utt2spk") and self.has("spk2utt"):
            return spk2utt_to_utt2spk(read_list_table(self.path / "spk2utt"))
        return self._required("utt2spk")

    @cached_property
    def spk2utt(self) -> dict[str, list[str]]:
        """``{spk: [utt, ...]}``; derived from ``utt2spk`` when the file is absent."""
        if self.has("spk2utt"):
            return read_list_table(self.path / "spk2utt")
        return utt2spk_to_spk2utt(self.utt2spk)

    @cached_property
    def segments(self) -> dict[str, Segment] | None:
        """``{utt: Segment(recording, start, end)}`` or ``None`` without a ``segments`` file."""
        if not self.has("segments"):
            return None
        out: dict[str, Segment] = {}
        for utt, value, where in _iter_lines(self.path / "segments"):
            if utt in out:
                raise DataDirError(f"{where}: duplicate id '{utt}'")
            out[utt] = _parse_segment(value, where)
        return out

    @cached_property
    def text(self) -> dict[str, str] | None:
        """``{utt: transcription}`` or ``None``."""
        return self._optional("text", allow_empty_value=True)

    @cached_property
    def utt2dur(self) -> dict[str, float] | None:
        """``{utt: seconds}`` or ``None``."""
        raw = self._optional("utt2dur")
        if raw is None:
            return None
        return {k: _parse_float(v, f"{self.path}/utt2dur", k) for k, v in raw.items()}

    @cached_property
    def feats_scp(self) -> dict[str, str] | None:
        """``{utt: 'archive.npz[:key]'}`` or ``None``."""
        return self._optional("feats.scp")

    def extra(self, name: str, *, required: bool = True) -> dict[str, str] | None:
        """Any other table by file name, e.g. ``extra("spk1.scp")``, ``extra("utt2snr")``.

        A missing file raises :class:`DataDirError`, or returns ``None`` with ``required=False``.
        """
        if not self.has(name):
            if required:
                raise DataDirError(f"{self.path}: no {name} in this data dir")
            return None
        return read_table(self.path / name, allow_empty_value=name == "text")

    @cached_property
    def utts(self) -> list[str]:
        """Sorted utterance ids: the keys of ``utt2spk`` (else ``segments``, else ``wav.scp``)."""
        if self.has("utt2spk") or self.has("spk2utt"):
            return c_sorted(self.utt2spk)
        if self.segments is not None:
            return c_sorted(self.segments)
        return c_sorted(self.wav_scp)

    @property
    def speakers(self) -> list[str]:
        """Sorted speaker ids."""
        return c_sorted(set(self.utt2spk.values()))

    @property
    def recordings(self) -> list[str]:
        """Sorted recording ids: the keys of ``wav.scp``."""
        return c_sorted(self.wav_scp)

    def __len__(self) -> int:
        return len(self.utts)

    def recording(self, utt: str) -> tuple[str, float, float | None]:
        """``(recording-id, start, end)`` of an utterance; without segments ``(utt, 0.0, None)``."""
        if self.segments is None:
            return utt, 0.0, None
        try:
            seg = self.segments[utt]
        except KeyError:
            raise DataDirError(f"{self.path}/segments: no utterance '{utt}'") from None
        return seg.recording, seg.start, seg.end

    def load_audio(
        self, utt: str, sample_rate: int | None = None, *, mono: bool = False, scp: str = "wav.scp"
    ) -> tuple[np.ndarray, int]:
        """Audio of ``utt`` from ``scp`` (``wav.scp``, ``spk1.scp``, ...): ``(x: ndarray[C, T] float32, sr)``.

        Handles paths, ``'command |'`` pipes and ``segments`` (then ``scp`` is keyed by recording id).
        With ``sample_rate`` the audio is resampled to it; with ``mono`` channels are averaged (``C = 1``).
        """
        table = self.wav_scp if scp == "wav.scp" else self._scp_cache(scp)
        rec, start, end = self.recording(utt)
        if rec not in table:
            if utt in table:  # an utterance-level table beside segments (allowed for extra scps)
                rec, start, end = utt, 0.0, None
            else:
                raise DataDirError(f"{self.path}/{scp}: no entry for '{rec}'")
        x, sr = read_audio_entry(table[rec], start=start, end=end, base=self.path,
                                 what=f"{self.path}/{scp}: '{rec}'")
        if mono and x.shape[0] > 1:
            x = x.mean(axis=0, keepdims=True, dtype=np.float32)
        if sample_rate is not None and sample_rate != sr:
            from audiogan.audio import resample

            x, sr = resample(x, sr, sample_rate), sample_rate
        return x, sr

    def _scp_cache(self, name: str) -> dict[str, str]:
        cache = self.__dict__.setdefault("_extra_cache", {})
        if name not in cache:
            cache[name] = self.extra(name)
        return cache[name]

    def audio_path(self, utt: str, scp: str = "wav.scp") -> Path:
        """The file behind ``utt`` in ``scp``; a pipe or a segment raises :class:`DataDirError`."""
        if self.segments is not None:
            raise DataDirError(f"{self.path}: '{utt}' is a segment of a recording, not a whole file")
        table = self.wav_scp if scp == "wav.scp" else self._scp_cache(scp)
        if utt not in table:
            raise DataDirError(f"{self.path}/{scp}: no entry for '{utt}'")
        if is_pipe(table[utt]):
            raise pipe_error(f"{self.path}/{scp}", utt, "this step")
        return _resolve_path(table[utt], self.path)

    def load_feats(self, utt: str) -> dict[str, np.ndarray]:
        """Feature arrays of ``utt`` from ``feats.scp`` (see :func:`write_feats`)."""
        if self.feats_scp is None:
            raise DataDirError(f"{self.path}: no feats.scp in this data dir")
        if utt not in self.feats_scp:
            raise DataDirError(f"{self.path}/feats.scp: no entry for '{utt}'")
        return load_feats_entry(self.feats_scp[utt], base=self.path)

    def validate(self, *, no_feats: bool = False, no_text: bool = False, no_wav: bool = False) -> None:
        """Check the dir like Kaldi's ``validate_data_dir.sh``; the first problem raises DataDirError.

        ``utt2spk`` and ``spk2utt`` are required and must agree; ``wav.scp``, ``text`` and ``feats.scp``
        are required unless ``no_wav``/``no_text``/``no_feats``. Every table present must be sorted in C
        order with unique ids and cover exactly the utterances (``utt2*``, ``text``, ``feats.scp``,
        ``segments``), the speakers (``spk2*``) or the recordings (``wav.scp``, ``reco2*``; extra
        ``*.scp`` may be keyed either way). Utterance ids must sort together with their speakers
        (i.e. start with the speaker id). The message says how to fix the problem.
        """
        _validate(self, no_feats=no_feats, no_text=no_text, no_wav=no_wav)

    def table_files(self) -> list[str]:
        """Names of the table files here (known tables plus ``utt2*``, ``spk2*``, ``reco2*``, ``*.scp``)."""
        return c_sorted(p.name for p in self.path.iterdir() if p.is_file() and is_table_name(p.name))


def is_table_name(name: str) -> bool:
    """Whether a file name is a data-dir table that the tools here keep consistent."""
    if name.startswith("."):
        return False
    return name in KNOWN_TABLES or name.endswith(".scp") or name.startswith(("utt2", "spk2", "reco2"))


def _parse_float(value: str, where: str, key: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise DataDirError(f"{where}: value of '{key}' is not a number: {value!r}") from None
    if not np.isfinite(v):
        raise DataDirError(f"{where}: value of '{key}' is not finite: {value!r}")
    return v


def _parse_segment(value: str, where: str) -> Segment:
    fields = value.split()
    if len(fields) != 3:
        raise DataDirError(f"{where}: expected '<utt> <recording> <start> <end>', got {value!r}")
    rec, s, e = fields
    try:
        start, end = float(s), float(e)
    except ValueError:
        raise DataDirError(f"{where}: start and end must be seconds, got {s!r} {e!r}") from None
    if start < 0 or not np.isfinite(start):
        raise DataDirError(f"{where}: negative or invalid start time {s}")
    if end == -1:
        return Segment(rec, start, None)
    if not np.isfinite(end) or end <= start:
        raise DataDirError(f"{where}: end time {e} is not after start time {s}")
    return Segment(rec, start, end)


# ---------------------------------------------------------------------------------------- validate
def _key_diff(a: Iterable[str], b: Iterable[str], name_a: str, name_b: str) -> str | None:
    sa, sb = set(a), set(b)
    if sa == sb:
        return None
    only_a, only_b = c_sorted(sa - sb), c_sorted(sb - sa)
    parts = []
    if only_a:
        parts.append(f"{len(only_a)} id(s) only in {name_a} (first: '{only_a[0]}')")
    if only_b:
        parts.append(f"{len(only_b)} id(s) only in {name_b} (first: '{only_b[0]}')")
    return f"{name_b} does not match {name_a}: " + ", ".join(parts)


def _check_sorted(d: DataDir, name: str, keys: Sequence[str]) -> None:
    for prev, cur in zip(keys, keys[1:]):
        if not prev < cur:
            raise DataDirError(f"{d.path}/{name}: not sorted in C order ('{prev}' before '{cur}'); "
                               f"run utils/fix_data_dir.sh {d.path}")


def _validate(d: DataDir, *, no_feats: bool, no_text: bool, no_wav: bool) -> None:
    fix = f"; run utils/fix_data_dir.sh {d.path}"
    if not d.has("utt2spk"):
        raise DataDirError(f"{d.path}: no utt2spk in this data dir")
    utt2spk = read_table(d.path / "utt2spk")
    if not utt2spk:
        raise DataDirError(f"{d.path}/utt2spk: is empty")
    _check_sorted(d, "utt2spk", list(utt2spk))
    for utt, spk in utt2spk.items():
        if len(spk.split()) != 1:
            raise DataDirError(f"{d.path}/utt2spk: '{utt}' has more than one speaker field: {spk!r}")
        # ids name files (features, statistics, outputs): one that holds a path would write elsewhere
        check_name(utt, f"{d.path}/utt2spk: utterance id")
        check_name(spk, f"{d.path}/utt2spk: speaker id")
    utts = list(utt2spk)
    # Kaldi's rule: sorting by (speaker, utt) must give the same order as sorting by utt, which holds
    # when every utterance id starts with its speaker id.
    by_spk = sorted(utts, key=lambda u: (utt2spk[u], u))
    if by_spk != utts:
        bad = next(u for u, v in zip(utts, by_spk) if u != v)
        raise DataDirError(f"{d.path}/utt2spk: utterance ids must start with their speaker id so both sort "
                           f"alike ('{bad}' of speaker '{utt2spk[bad]}' breaks the order)")
    if not d.has("spk2utt"):
        raise DataDirError(f"{d.path}: no spk2utt in this data dir{fix}")
    spk2utt_raw = read_table(d.path / "spk2utt")
    _check_sorted(d, "spk2utt", list(spk2utt_raw))
    if {k: v.split() for k, v in spk2utt_raw.items()} != utt2spk_to_spk2utt(utt2spk):
        raise DataDirError(f"{d.path}: spk2utt does not match utt2spk{fix}")

    segments = None
    if d.has("segments"):
        segments = d.segments
        _check_sorted(d, "segments", list(segments))
        if msg := _key_diff(utts, segments, "utt2spk", "segments"):
            raise DataDirError(f"{d.path}: {msg}{fix}")
    recordings = set(s.recording for s in segments.values()) if segments is not None else set(utts)

    if d.has("wav.scp"):
        wav = read_table(d.path / "wav.scp")
        _check_sorted(d, "wav.scp", list(wav))
        if segments is not None:
            missing = c_sorted(recordings - set(wav))
            if missing:
                raise DataDirError(f"{d.path}: {len(missing)} recording(s) in segments have no wav.scp entry "
                                   f"(first: '{missing[0]}'){fix}")
            recordings = set(wav)
        elif msg := _key_diff(utts, wav, "utt2spk", "wav.scp"):
            raise DataDirError(f"{d.path}: {msg}{fix}")
    elif not no_wav:
        raise DataDirError(f"{d.path}: no wav.scp in this data dir (use --no-wav if it has none on purpose)")

    for name, required in (("text", not no_text), ("feats.scp", not no_feats)):
        if not d.has(name):
            if required:
                raise DataDirError(f"{d.path}: no {name} in this data dir (use --no-{name.split('.')[0]} "
                                   f"if it has none on purpose)")
            continue
        table = read_table(d.path / name, allow_empty_value=name == "text")
        _check_sorted(d, name, list(table))
        if msg := _key_diff(utts, table, "utt2spk", name):
            raise DataDirError(f"{d.path}: {msg}{fix}")

    speakers = set(utt2spk.values())
    for name in d.table_files():
        if name in KNOWN_TABLES:
            if name == "utt2dur":
                table = read_table(d.path / name)
                _check_sorted(d, name, list(table))
                if msg := _key_diff(utts, table, "utt2spk", name):
                    raise DataDirError(f"{d.path}: {msg}{fix}")
                for k, v in table.items():
                    if _parse_float(v, f"{d.path}/{name}", k) <= 0:
                        raise DataDirError(f"{d.path}/{name}: duration of '{k}' is not positive: {v}")
            continue
        table = read_table(d.path / name, allow_empty_value=True)
        _check_sorted(d, name, list(table))
        kind = _table_kind(name, table, recordings)
        expected, against = {"utt": (utts, "utt2spk"), "spk": (speakers, "spk2utt"),
                             "reco": (recordings, "wav.scp")}[kind]
        if msg := _key_diff(expected, table, against, name):
            raise DataDirError(f"{d.path}: {msg}{fix}")


def _table_kind(name: str, table: Mapping[str, str], recordings: set[str]) -> str:
    """'utt', 'spk' or 'reco': what the keys of an extra table are."""
    if name.startswith("spk2"):
        return "spk"
    if name.startswith("reco2") or name == "wav.scp":
        return "reco"
    if name.endswith(".scp") and table and set(table) <= recordings:
        return "reco"
    return "utt"


# -------------------------------------------------------------------------------- fix / subset / split
def _read_tolerant(path: Path, allow_empty_value: bool) -> dict[str, str]:
    """Like read_table, but identical duplicate lines are merged (conflicting ones still raise)."""
    table: dict[str, str] = {}
    for key, value, where in _iter_lines(path, allow_empty_value):
        if key in table and table[key] != value:
            raise DataDirError(f"{where}: id '{key}' appears twice with different values; fix it by hand")
        table[key] = value
    return table


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
    tables = {n: _read_tolerant(d.path / n, allow_empty_value=n == "text") for n in names}
    if "utt2spk" not in tables:
        tables["utt2spk"] = spk2utt_to_utt2spk({k: v.split() for k, v in tables["spk2utt"].items()})
    utt2spk = tables["utt2spk"]
    before = len(utt2spk)
    segments = {u: _parse_segment(v, f"{d.path}/segments") for u, v in tables.get("segments", {}).items()}
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
            src = _resolve_path(value, d.path).resolve()
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


# ------------------------------------------------------------------------------------------- feats
# Features live in .npz files (numpy's zip of .npy arrays). A feats.scp value is either
#   path/to/utt.npz          one utterance per file: its arrays by name (f0, coded_sp, ...)
#   path/to/archive.npz:KEY  many utterances per file: arrays stored as "KEY/<name>"
# numpy has no appendable archive, so FeatsWriter streams .npy members into a zip itself.
def _split_feats_value(value: str) -> tuple[str, str | None]:
    m = re.match(r"^(.*\.npz):([^/:]+)$", value)
    return (m.group(1), m.group(2)) if m else (value, None)


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
    path = _resolve_path(path_str, base)
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
        scp_path = source / "feats.scp" if source.is_dir() else source
        scp = read_table(scp_path)
        base = scp_path.parent
    wanted = c_sorted(scp) if utts is None else list(utts)
    missing = [u for u in wanted if u not in scp]
    if missing:
        raise DataDirError(f"{source}: no features for {len(missing)} utterance(s) (first: '{missing[0]}')")
    return {u: load_feats_entry(scp[u], base=base) for u in wanted}


# --------------------------------------------------------------------------------------------- CLI
def _read_id_list(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except OSError as e:
        raise DataDirError(f"{path}: cannot read ({e.strerror})") from None
    return [line.split()[0] for line in lines if line.strip()]


def _subset_utts(d: DataDir, args: argparse.Namespace) -> list[str]:
    utts = d.utts
    if args.utt_list:
        return _read_id_list(args.utt_list)
    if args.spk_list:
        spks = set(_read_id_list(args.spk_list))
        unknown = c_sorted(spks - set(d.speakers))
        if unknown:
            raise DataDirError(f"{d.path}: speaker '{unknown[0]}' of {args.spk_list} is not in this dir")
        return [u for u in utts if d.utt2spk[u] in spks]
    n = next(v for v in (args.first, args.last, args.per_spk, args.shortest, args.even) if v is not None)
    if n < 1:
        raise DataDirError(f"number of utterances must be positive, got {n}")
    if args.per_spk is not None:
        return [u for us in d.spk2utt.values() for u in us[:n]]
    if n > len(utts):
        raise DataDirError(f"{d.path}: asked for {n} utterances but it has only {len(utts)}")
    if args.first is not None:
        return utts[:n]
    if args.last is not None:
        return utts[-n:]
    if args.shortest is not None:
        if d.utt2dur is None:
            raise DataDirError(f"{d.path}: --shortest needs utt2dur (run steps/compute_durations.sh)")
        return sorted(utts, key=lambda u: (d.utt2dur[u], u))[:n]
    return [utts[(i * len(utts)) // n] for i in range(n)]  # evenly spaced, like Kaldi's default


# Error messages name the script the user ran.
_PROGS = {"validate": "validate_data_dir.sh", "fix": "fix_data_dir.sh", "subset": "subset_data_dir.sh",
          "combine": "combine_data.sh", "split": "split_data.sh"}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python3 -m audiogan.data.datadir``; user errors print one line and exit 1."""
    parser = argparse.ArgumentParser(prog="datadir", description="Kaldi-style data dir tools.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("validate")
    p.add_argument("--no-feats", action="store_true")
    p.add_argument("--no-text", action="store_true")
    p.add_argument("--no-wav", action="store_true")
    p.add_argument("data")
    p = sub.add_parser("fix")
    p.add_argument("data")
    p = sub.add_parser("subset")
    g = p.add_mutually_exclusive_group(required=True)
    for opt in ("--first", "--last", "--per-spk", "--shortest", "--even"):
        g.add_argument(opt, type=int, metavar="N")
    g.add_argument("--utt-list", metavar="FILE")
    g.add_argument("--spk-list", metavar="FILE")
    p.add_argument("src")
    p.add_argument("dest")
    p = sub.add_parser("combine")
    p.add_argument("dest")
    p.add_argument("srcs", nargs="+")
    p = sub.add_parser("split")
    p.add_argument("--per-utt", action="store_true")
    p.add_argument("data")
    p.add_argument("n", type=int)
    p = sub.add_parser("utt2dur")
    p.add_argument("data")
    p = sub.add_parser("link-audio")
    p.add_argument("--scp", default="wav.scp")
    p.add_argument("data")
    p.add_argument("dest")
    p = sub.add_parser("collect")
    p.add_argument("data")
    p.add_argument("audio_dir")
    p.add_argument("out")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "validate":
            DataDir(args.data).validate(no_feats=args.no_feats, no_text=args.no_text, no_wav=args.no_wav)
            n = len(read_table(Path(args.data) / "utt2spk"))
            print(f"validate_data_dir: {args.data} is valid ({n} utterances)")
        elif args.cmd == "fix":
            kept, before = fix_data_dir(args.data)
            print(f"fix_data_dir: {args.data}: kept {kept} of {before} utterances (backup in "
                  f"{Path(args.data) / '.backup'})")
        elif args.cmd == "subset":
            utts = _subset_utts(DataDir(args.src), args)
            d = subset_data_dir(args.src, args.dest, utts)
            print(f"subset_data_dir: wrote {len(d.utts)} utterances to {args.dest}")
        elif args.cmd == "combine":
            d, dropped = combine_data_dirs(args.dest, args.srcs)
            if dropped:
                print(f"combine_data: not combined (missing in some sources): {' '.join(dropped)}",
                      file=sys.stderr)
            print(f"combine_data: wrote {len(d.utts)} utterances to {args.dest}")
        elif args.cmd == "split":
            parts = split_data_dir(args.data, args.n, per_utt=args.per_utt)
            print(parts[0].path.parent)
        elif args.cmd == "utt2dur":
            durs = compute_utt2dur(args.data)
            print(f"utt2dur: {len(durs)} utterances, {sum(durs.values()) / 3600:.3f} h in {args.data}")
        elif args.cmd == "link-audio":
            n = link_audio(args.data, args.dest, scp=args.scp)
            print(f"link-audio: {n} files in {args.dest}")
        elif args.cmd == "collect":
            d = collect_outputs(args.data, args.audio_dir, args.out)
            print(f"collect: {len(d.utts)} utterances in {args.out}")
    except (DataDirError, AudioError) as e:
        print(f"{_PROGS.get(args.cmd, args.cmd)}: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
