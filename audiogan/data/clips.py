"""Fixed-length clip datasets for WaveGAN training, the evaluation classifier and generation scoring.

A *clip source* is either a Kaldi-style data dir (``wav.scp``: ``utt path``; optional ``utt2label``) or a
folder of audio files (searched recursively; a file's label is its parent folder's name when the files
sit in sub-folders, as in Speech Commands). Every clip is loaded mono at the target rate, scaled so its
peak is at most 1 (or normalised to peak 1) and brought to a fixed length: shorter clips are zero-padded
symmetrically, longer ones cropped (a random window over the whole clip in training, the centre window
otherwise).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from audiogan.audio import find_audio_files, load
from audiogan.data import tables
from audiogan.data.sampling import index_and_rng
from audiogan.errors import DataDirError


@dataclass(frozen=True)
class Clip:
    """One clip: a file ``path``, or a ``wav.scp`` value (path or ``'cmd |'``) cut to ``[start, end)``."""

    utt: str
    path: Path | None
    label: str | None
    entry: str = ""
    base: Path | None = None
    start: float = 0.0
    end: float | None = None
    speaker: str | None = None


def read_table(path: str | os.PathLike) -> dict[str, str]:
    """A Kaldi ``key value`` table, by the one table reader (:func:`audiogan.data.tables.read_table`)."""
    return tables.read_table(path)


def list_clips(source: str | os.PathLike) -> list[Clip]:
    """The clips of a data dir or audio folder, sorted by utterance id."""
    from audiogan.data.datadir import DataDir

    src = Path(source)
    if not src.exists():
        raise DataDirError(f"{src}: no such data dir or folder")
    if src.is_file():
        raise DataDirError(f"{src}: expected a data dir (with wav.scp) or a folder of audio files")
    if (src / "wav.scp").is_file():
        d = DataDir(src)
        labels = d.extra("utt2label", required=False) or {}
        utt2spk = d.utt2spk if d.has("utt2spk") or d.has("spk2utt") else {}
        clips = []
        for utt in d.utts:
            rec, start, end = d.recording(utt)
            if rec not in d.wav_scp:
                raise DataDirError(f"{src}/wav.scp: no entry for '{rec}'")
            clips.append(Clip(utt, None, labels.get(utt), d.wav_scp[rec], src, start, end, utt2spk.get(utt)))
        if not clips:
            raise DataDirError(f"{src}: the data dir holds no utterances")
        return clips
    files = find_audio_files([src])
    clips = []
    for f in files:
        rel = f.relative_to(src)
        label = rel.parts[-2] if len(rel.parts) > 1 else None
        clips.append(Clip(str(rel.with_suffix("")).replace(os.sep, "_"), f, label))
    return sorted(clips, key=lambda c: c.utt)


def subset(clips: list[Clip], max_clips: int) -> list[Clip]:
    """At most ``max_clips`` clips spread evenly over the sorted list (so every label keeps some)."""
    if max_clips <= 0 or len(clips) <= max_clips:
        return clips
    idx = np.linspace(0, len(clips) - 1, max_clips).round().astype(int)
    return [clips[i] for i in idx]


def fit_length(x: np.ndarray, length: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """``x: ndarray[C, T] -> ndarray[C, length]``: symmetric zero padding, or a crop (random with ``rng``,
    centred without)."""
    t = x.shape[-1]
    if t < length:
        left = (length - t) // 2
        return np.pad(x, ((0, 0), (left, length - t - left)))
    if t > length:
        start = int(rng.integers(0, t - length + 1)) if rng is not None else (t - length) // 2
        return x[:, start : start + length]
    return x


def read_clip(clip: Clip | Path, sample_rate: int) -> np.ndarray:
    """The whole clip as ``ndarray[1, T]``, mono, at ``sample_rate``."""
    if isinstance(clip, Path) or clip.path is not None:
        return load(clip if isinstance(clip, Path) else clip.path, sample_rate=sample_rate, mono=True)[0]
    from audiogan.audio import resample
    from audiogan.data.entries import read_audio_entry

    x, sr = read_audio_entry(clip.entry, start=clip.start, end=clip.end, base=clip.base, what=clip.utt)
    x = x.mean(axis=0, keepdims=True, dtype=np.float32) if x.shape[0] > 1 else x
    return resample(x, sr, sample_rate)


def load_clip(
    clip: Clip | Path,
    sample_rate: int,
    length: int,
    rng: np.random.Generator | None = None,
    normalize: bool = False,
) -> np.ndarray:
    """One clip as ``ndarray[1, length]`` float32: mono, resampled, peak <= 1 (or == 1 with ``normalize``)."""
    x = read_clip(clip, sample_rate)
    peak = float(np.abs(x).max())
    if peak > 0 and (normalize or peak > 1.0):
        x = x / peak
    return fit_length(x, length, rng).astype(np.float32)


def shift_zero_fill(x: np.ndarray, k: int) -> np.ndarray:
    """``ndarray[C, T]`` delayed by ``k`` samples (advanced for k < 0); vacated samples are zeros."""
    if k == 0 or abs(k) >= x.shape[-1]:
        return x if k == 0 else np.zeros_like(x)
    out = np.zeros_like(x)
    if k > 0:
        out[:, k:] = x[:, :-k]
    else:
        out[:, :k] = x[:, -k:]
    return out


def add_white_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` plus white Gaussian noise at ``snr_db`` relative to the clip's power (silence stays silent)."""
    power = float(np.mean(x.astype(np.float64) ** 2))
    if power <= 0:
        return x
    noise = rng.standard_normal(x.shape).astype(np.float32) * np.float32(np.sqrt(power / 10 ** (snr_db / 10)))
    return np.clip(x + noise, -1.0, 1.0).astype(np.float32)


class ClipDataset(Dataset):
    """Map-style dataset of fixed-length clips. Item ``key`` (an index or the trainer's ``(index, seed)``)
    -> ``{"audio": Tensor[1, length], "label": int}`` (label -1 when unlabelled).

    ``random_crop=True`` crops with the key's RNG (reproducible, resumable). Classifier augmentation, all
    drawn from the same RNG: ``gain_db`` > 0 applies a random gain in [-gain_db, 0] dB; ``shift`` > 0 moves
    the clip by up to that many samples either way (zero fill, so a word can start early or late);
    ``noise_snr=(lo, hi)`` adds white noise at an SNR drawn from [lo, hi] dB to a ``noise_prob`` share.
    """

    def __init__(
        self,
        clips: list[Clip],
        sample_rate: int,
        length: int,
        *,
        labels: list[str] | None = None,
        random_crop: bool = True,
        normalize: bool = False,
        gain_db: float = 0.0,
        shift: int = 0,
        noise_snr: tuple[float, float] | None = None,
        noise_prob: float = 0.5,
    ):
        if not clips:
            raise DataDirError("no clips to train on")
        self.clips, self.sample_rate, self.length = clips, sample_rate, length
        self.labels = labels or []
        self.label_index = {name: i for i, name in enumerate(self.labels)}
        self.random_crop, self.normalize, self.gain_db = random_crop, normalize, gain_db
        self.shift, self.noise_snr, self.noise_prob = shift, noise_snr, noise_prob

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, key) -> dict[str, torch.Tensor]:
        index, rng = index_and_rng(key)
        clip = self.clips[index]
        x = load_clip(clip, self.sample_rate, self.length, rng if self.random_crop else None, self.normalize)
        if self.gain_db > 0:
            x = x * np.float32(10 ** (-rng.uniform(0, self.gain_db) / 20))
        if self.shift > 0:
            x = shift_zero_fill(x, int(rng.integers(-self.shift, self.shift + 1)))
        if self.noise_snr is not None and rng.random() < self.noise_prob:
            x = add_white_noise(x, float(rng.uniform(*self.noise_snr)), rng)
        label = self.label_index.get(clip.label, -1) if clip.label is not None else -1
        return {"audio": torch.from_numpy(x), "label": torch.tensor(label)}


def load_clips_array(clips: list[Clip], sample_rate: int, length: int, progress: bool = False) -> np.ndarray:
    """All clips (centre-cropped / padded) as ``ndarray[N, 1, length]``."""
    it = clips
    if progress:
        from tqdm import tqdm

        it = tqdm(clips, desc="load clips", unit="clip", disable=None)
    return np.stack([load_clip(c, sample_rate, length) for c in it]) if clips else np.zeros((0, 1, length))
