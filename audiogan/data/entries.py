"""``wav.scp`` entries: audio file paths, command pipes (``'cmd args |'``) and ``segments`` cuts.

A value is a path (relative paths are taken from the current directory, Kaldi's convention, falling back
to the data dir) or a shell command ending in ``|`` that writes audio to stdout. The one pipe policy of the
toolkit lives here (docs/data.md, "Pipes"): :func:`read_audio_entry` runs pipes unless
``AUDIOGAN_NO_PIPES=1``; readers that need real files refuse them with :func:`pipe_error`.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiogan.errors import AudioError, DataDirError

# audiogan.audio.AUDIO_EXTENSIONS, repeated so the table tools start without importing torch.
_AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")


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
        f"dir to files first (audiogan data link-audio DATA_DIR OUT_FOLDER)"
    )


def resolve_path(value: str, base: Path | None) -> Path:
    """The file a path value names: as given when it exists (or is absolute), else under ``base``."""
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

        path = resolve_path(value, base)
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
    from audiogan import audio  # header checks only: audiogan.audio imports torch just for resampling

    prefix = f"{what}: " if what else ""
    try:
        return audio.info(resolve_path(value, base)).duration
    except AudioError as e:
        raise AudioError(f"{prefix}{e}") from None



def parse_segment(value: str, where: str) -> Segment:
    """A ``segments`` value ``<recording> <start> <end>`` (``end`` -1: to the end of the recording)."""
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
