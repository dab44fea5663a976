"""Audio I/O in one place: loading, block-wise reading, resampling, channel mixing and atomic saving.

Arrays are channels-first float32: ``x: ndarray[C, T]``. Every failure caused by the file itself raises
:class:`AudioError` with a one-line message naming the file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from audiogan.errors import AudioError

if TYPE_CHECKING:  # torch is imported only when resampling: data jobs that just read audio start fast
    import torch

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def info(path: str | os.PathLike) -> AudioInfo:
    """Header information of an audio file; raises AudioError for missing, empty or non-audio files."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file")
    try:
        i = sf.info(str(path))
    except Exception as e:  # libsndfile raises several types for non-audio data
        raise AudioError(f"{path}: not a readable audio file ({_short(e)})") from None
    if i.frames <= 0:
        raise AudioError(f"{path}: contains no audio samples")
    _check_truncated_wav(path, i)
    return AudioInfo(path, int(i.samplerate), int(i.channels), int(i.frames), i.format, i.subtype)


# A WAV whose header declares at least this many bytes is a stream written before its length was known,
# not a truncated file.
_STREAMING_SIZE = 0x7FFF0000


def _check_truncated_wav(path: Path, i) -> None:
    """libsndfile silently reads what is left of a WAV cut short (interrupted copy); we refuse it.

    Its header log says ``data : <declared> (should be <present>)`` when the two differ.
    """
    if i.format not in ("WAV", "WAVEX", "RF64", "W64"):
        return
    for line in str(getattr(i, "extra_info", "")).splitlines():
        m = re.match(r"\s*data\s*:\s*(\d+)\s*\(should be (\d+)\)", line)
        if not m:
            continue
        declared, present = int(m.group(1)), int(m.group(2))
        frame_bytes = max(int(i.channels), 1) * 8  # generous: a frame or less missing is header slop
        if present < declared < _STREAMING_SIZE and declared - present > frame_bytes:
            raise AudioError(f"{path}: truncated file (header declares {declared} bytes of audio, "
                             f"file holds {present})")


def _short(e: Exception) -> str:
    msg = str(e).strip().splitlines()
    text = msg[-1] if msg else type(e).__name__
    return text.replace(str(Path.cwd()) + "/", "")[:200]


def _check_finite(x: np.ndarray, path: Path) -> None:
    if not np.isfinite(x).all():
        raise AudioError(f"{path}: contains NaN or Inf samples")


def load(
    path: str | os.PathLike,
    *,
    sample_rate: int | None = None,
    mono: bool = False,
    start: int = 0,
    frames: int = -1,
) -> tuple[np.ndarray, int]:
    """Load a file as ``ndarray[C, T]`` float32 (or ``[1, T]`` with ``mono=True``).

    With ``sample_rate`` the audio is resampled to it; the returned rate is the rate of the array.
    """
    meta = info(path)
    try:
        data, sr = sf.read(str(meta.path), dtype="float32", always_2d=True, start=start, frames=frames)
    except Exception as e:
        raise AudioError(f"{meta.path}: corrupt audio ({_short(e)})") from None
    if data.shape[0] == 0:
        raise AudioError(f"{meta.path}: contains no audio samples")
    x = np.ascontiguousarray(data.T)
    _check_finite(x, meta.path)
    if mono:
        x = to_mono(x)
    if sample_rate is not None and sample_rate != sr:
        x = resample(x, sr, sample_rate)
        sr = sample_rate
    return x, int(sr)


def iter_blocks(path: str | os.PathLike, block_frames: int) -> Iterator[np.ndarray]:
    """Read a file block by block (``ndarray[C, t]``, t <= block_frames) so long files never sit in memory."""
    if block_frames <= 0:
        raise ValueError(f"block_frames must be positive, got {block_frames}")
    meta = info(path)
    try:
        with sf.SoundFile(str(meta.path)) as f:
            while True:
                block = f.read(block_frames, dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    break
                x = np.ascontiguousarray(block.T)
                _check_finite(x, meta.path)
                yield x
    except AudioError:
        raise
    except Exception as e:
        raise AudioError(f"{meta.path}: corrupt audio ({_short(e)})") from None


def resample(x: np.ndarray | torch.Tensor, orig_sr: int, new_sr: int):
    """Band-limited resampling along the last axis (torchaudio). Returns the input type."""
    if orig_sr == new_sr:
        return x
    import torch
    import torchaudio.functional as AF

    is_numpy = isinstance(x, np.ndarray)
    t = torch.from_numpy(np.ascontiguousarray(x)) if is_numpy else x
    y = AF.resample(t, int(orig_sr), int(new_sr))
    return y.numpy() if is_numpy else y


def to_mono(x: np.ndarray) -> np.ndarray:
    """Average channels: ``[C, T] -> [1, T]``."""
    return x.mean(axis=0, keepdims=True, dtype=np.float32) if x.shape[0] > 1 else x


def to_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """Downmix to mono or upmix mono by copying: ``[C, T] -> [channels, T]``."""
    if x.shape[0] == channels:
        return x
    mono = to_mono(x)
    return np.repeat(mono, channels, axis=0)


def peak_guard(x: np.ndarray, limit: float = 0.999) -> np.ndarray:
    """Scale the whole signal down when its peak exceeds ``limit`` (no hard clipping)."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x * (limit / peak) if peak > limit else x


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tmp_path(path: Path) -> Path:
    """An empty temporary file beside ``path`` with the permissions a plain ``open(path, 'w')`` would give.

    (mkstemp creates it 0600, and os.replace would carry that over to the output.)
    """
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    except OSError as e:
        raise AudioError(f"{path}: cannot write ({e.strerror or e})") from None
    try:
        os.fchmod(fd, 0o666 & ~_current_umask())
    except (AttributeError, OSError):  # no fchmod (Windows) or a filesystem without modes
        pass
    os.close(fd)
    return Path(tmp)


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise AudioError(f"{path}: is a directory, cannot write audio there")


def _format_for(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in AUDIO_EXTENSIONS:
        raise AudioError(f"{path}: unsupported output extension (use {', '.join(AUDIO_EXTENSIONS)})")
    return {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}[ext]


def save(
    path: str | os.PathLike, x: np.ndarray, sample_rate: int, *, subtype: str | None = None,
    guard: bool = True,
) -> Path:
    """Write ``x: ndarray[C, T]`` (or ``[T]``) atomically: a temporary file in the same folder, then rename.

    With ``guard`` a signal whose peak exceeds full scale is scaled down instead of being clipped.
    """
    path = Path(path)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    if not np.isfinite(x).all():
        raise AudioError(f"{path}: refusing to write NaN or Inf samples")
    if guard:
        x = peak_guard(x)
    fmt = _format_for(path)
    _check_target(path)
    _mkdir(path.parent)
    tmp = _tmp_path(path)
    try:
        sf.write(str(tmp), x.T, int(sample_rate), format=fmt, subtype=subtype)
        os.replace(tmp, path)
    except OSError as e:
        raise AudioError(f"{path}: cannot write ({e.strerror or e})") from None
    except sf.LibsndfileError as e:  # e.g. disk full, or a subtype the format cannot hold
        raise AudioError(f"{path}: cannot write ({_short(e)})") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _mkdir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AudioError(f"{folder}: cannot create output folder ({e.strerror or e})") from None


class AudioWriter:
    """Block-wise atomic writer: blocks go to a temporary file that replaces ``path`` on a clean close.

    >>> with AudioWriter("out.wav", 16000, channels=1) as w:
    ...     w.write(block)   # block: ndarray[C, t]
    """

    def __init__(self, path: str | os.PathLike, sample_rate: int, channels: int, subtype: str | None = None):
        self.path = Path(path)
        self.channels = int(channels)
        self.frames = 0
        self._closed = False
        fmt = _format_for(self.path)
        _check_target(self.path)
        _mkdir(self.path.parent)
        self._tmp = _tmp_path(self.path)
        try:
            self._file = sf.SoundFile(
                str(self._tmp), "w", samplerate=int(sample_rate), channels=self.channels, format=fmt,
                subtype=subtype,
            )
        except sf.LibsndfileError as e:
            self._tmp.unlink(missing_ok=True)
            raise AudioError(f"{self.path}: cannot write ({_short(e)})") from None
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise

    def write(self, block: np.ndarray) -> None:
        """Append ``block: ndarray[C, t]``. Guarding the peak is the caller's job (it may need a 2nd pass)."""
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 1:
            block = block[None]
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"AudioWriter({self.path}) expects blocks [{self.channels}, t], "
                             f"got {block.shape}")
        if not np.isfinite(block).all():
            raise AudioError(f"{self.path}: refusing to write NaN or Inf samples")
        try:
            self._file.write(block.T)
        except sf.LibsndfileError as e:  # e.g. disk full
            raise AudioError(f"{self.path}: cannot write ({_short(e)})") from None
        self.frames += block.shape[1]

    def close(self, commit: bool = True) -> None:
        """Finish the file: ``commit`` renames it over ``path``, otherwise it is discarded. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._file.close()
            if commit:
                os.replace(self._tmp, self.path)
        except OSError as e:
            raise AudioError(f"{self.path}: cannot write ({e.strerror or e})") from None
        finally:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AudioWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(commit=exc_type is None)


def find_audio_files(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files and folders (recursively) into a sorted list of wav/flac/ogg files."""
    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            # hidden files are skipped: our own leftover temp files, macOS '._x.wav' resource forks
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in AUDIO_EXTENSIONS
                           and not q.name.startswith("."))
            if not found:
                raise AudioError(f"{p}: folder holds no .wav, .flac or .ogg files")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise AudioError(f"{p}: no such file or folder")
    return files
