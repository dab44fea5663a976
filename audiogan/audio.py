"""Audio I/O in one place: loading, block-wise reading, resampling, channel mixing and atomic saving.

Arrays are channels-first float32: ``x: ndarray[C, T]``. Every failure caused by the file itself raises
:class:`AudioError` with a one-line message naming the file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from audiogan.errors import AudioError

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
    return AudioInfo(path, int(i.samplerate), int(i.channels), int(i.frames), i.format, i.subtype)


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


def _tmp_path(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _format_for(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in AUDIO_EXTENSIONS:
        raise AudioError(f"{path}: unsupported output extension (use {', '.join(AUDIO_EXTENSIONS)})")
    return {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}[ext]


def save(
    path: str | os.PathLike, x: np.ndarray, sample_rate: int, *, subtype: str | None = None, guard: bool = True
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    try:
        sf.write(str(tmp), x.T, int(sample_rate), format=fmt, subtype=subtype)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


class AudioWriter:
    """Block-wise atomic writer: blocks go to a temporary file that replaces ``path`` on a clean close.

    >>> with AudioWriter("out.wav", 16000, channels=1) as w:
    ...     w.write(block)   # block: ndarray[C, t]
    """

    def __init__(self, path: str | os.PathLike, sample_rate: int, channels: int, subtype: str | None = None):
        self.path = Path(path)
        fmt = _format_for(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = _tmp_path(self.path)
        self._file = sf.SoundFile(
            str(self._tmp), "w", samplerate=int(sample_rate), channels=channels, format=fmt, subtype=subtype
        )

    def write(self, block: np.ndarray) -> None:
        """Append ``block: ndarray[C, t]``. Guarding the peak is the caller's job (it may need a 2nd pass)."""
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 1:
            block = block[None]
        self._file.write(block.T)

    def close(self, commit: bool = True) -> None:
        self._file.close()
        if commit:
            os.replace(self._tmp, self.path)
        elif self._tmp.exists():
            self._tmp.unlink()

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
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in AUDIO_EXTENSIONS)
            if not found:
                raise AudioError(f"{p}: folder holds no .wav, .flac or .ogg files")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise AudioError(f"{p}: no such file or folder")
    return files
