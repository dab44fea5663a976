"""Kaldi-style data directories: the :class:`DataDir` class and its validation.

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
    feats.scp   utt-id  path/to/archive.npz:utt-id         (optional; the format of audiogan.data.feats)
    spk1.scp    utt-id  clean reference (enhancement data; wav.scp then holds the noisy audio)
    utt2* spk2* reco2* *.scp  any other table keyed by utterance, speaker or recording (utt2snr, ...)

Relative paths in ``*.scp`` files are taken from the current directory (Kaldi's convention), falling back
to the data dir itself; the tools here write absolute paths.

The layer is split by job; the table and feats names are re-exported here:

* :mod:`audiogan.data.tables`: the one reader/writer of Kaldi tables (``read_table``, ``write_table``...);
* :mod:`audiogan.data.entries`: ``wav.scp`` values (paths, pipes and the pipe policy, segments);
* :mod:`audiogan.data.feats`: the one ``feats.scp`` format (``FeatsWriter``, ``write_feats``, ``read_feats``);
* :mod:`audiogan.data.operations`: fix, subset, split, combine, utt2dur, link-audio, collect (they use
  :class:`DataDir`, so they are imported from there, not from here: no import circle);
* :mod:`audiogan.data.commands`: the command line of ``recipes/utils/*.sh``::

    python3 -m audiogan.data.commands validate [--no-feats] [--no-text] [--no-wav] DATA
    python3 -m audiogan.data.commands fix DATA
    python3 -m audiogan.data.commands subset [--first N|--last N|--per-spk N|--shortest N|--even N|
                                              --utt-list F|--spk-list F] SRC DEST
    python3 -m audiogan.data.commands combine DEST SRC...
    python3 -m audiogan.data.commands split [--per-utt] DATA N
    python3 -m audiogan.data.commands utt2dur DATA
    python3 -m audiogan.data.commands link-audio [--scp S] DATA DEST  # DEST/<utt>.<ext> for folder tools
    python3 -m audiogan.data.commands collect DATA AUDIO_DIR OUT      # data dir of processed outputs
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from audiogan.data.entries import (  # noqa: F401 - re-exported: the public names of the old datadir
    _AUDIO_EXTENSIONS,
    NO_PIPES_ENV,
    Segment,
    entry_duration,
    is_pipe,
    pipe_error,
    pipes_allowed,
    read_audio_entry,
)
from audiogan.data.entries import parse_segment as _parse_segment
from audiogan.data.entries import resolve_path as _resolve_path
from audiogan.data.feats import (  # noqa: F401 - re-exported
    FeatsWriter,
    load_feats_entry,
    read_feats,
    read_feats_scp,
    write_feats,
)
from audiogan.data.tables import (  # noqa: F401 - re-exported
    _ID_RE,
    c_sorted,
    iter_table,
    read_list_table,
    read_table,
    spk2utt_to_utt2spk,
    utt2spk_to_spk2utt,
    write_table,
    write_text_atomic,
)
from audiogan.data.tables import parse_float as _parse_float
from audiogan.errors import DataDirError
from audiogan.paths import check_name

# Tables with a fixed meaning; any other ``utt2*``, ``spk2*``, ``reco2*`` or ``*.scp`` file is an "extra".
KNOWN_TABLES = ("wav.scp", "utt2spk", "spk2utt", "segments", "text", "utt2dur", "feats.scp")


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
        for utt, value, where in iter_table(self.path / "segments"):
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
