"""Paired (noisy, clean) training windows for SEGAN, read from a Kaldi-style data dir and cached on disk.

A data dir holds ``wav.scp`` (``utt-id path`` of the noisy audio) and ``spk1.scp`` (``utt-id path`` of the
clean reference). Pairs are matched by utterance id, never by file order. Each pair is resampled to
16 kHz (mono), pre-emphasised (0.95 by default) and cut into ``window``-sample windows at ``stride``
(50 %) hop; an utterance shorter than a window is zero-padded to one window, and a tail that the hop
misses gets one extra window aligned to the end, so every sample is seen.

The cache is one memory-mapped float32 array ``signals.npy: [2, total]`` (row 0 noisy, row 1 clean; each
utterance stored once, padded to at least one window) plus ``starts.npy`` (window start offsets into it)
and ``meta.json``. Windows overlap by 50 %, so storing signals instead of windows halves the cache. Its
folder name is a hash of the scp contents, every referenced file's size and mtime and the parameters:
editing the data dir, touching a file or changing a parameter builds a new cache; an unchanged one is
reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from audiogan.audio import info, load
from audiogan.data.entries import is_pipe, pipe_error
from audiogan.data.sampling import index_and_rng
from audiogan.data.tables import read_table
from audiogan.dsp import deemphasis, preemphasis  # noqa: F401 - deemphasis re-exported for callers
from audiogan.errors import AudioError, DataDirError

CACHE_VERSION = 1
SAMPLE_RATE = 16000


def read_scp(path: str | os.PathLike) -> dict[str, str]:
    """``utt-id value`` lines -> ordered dict, read by the one table reader
    (:func:`audiogan.data.tables.read_table`: blank lines skipped; duplicates, missing values: errors)."""
    return read_table(path)


def _resolve(value: str, data_dir: Path, what: str, utt: str) -> Path:
    if is_pipe(value):
        raise pipe_error(f"{data_dir}/{what}", utt, "SEGAN training")
    p = Path(value)
    if p.is_absolute():
        return p
    # Kaldi's convention: relative to the current directory; fall back to the data dir itself
    return Path.cwd() / p if (Path.cwd() / p).exists() or not (data_dir / p).exists() else data_dir / p


@dataclass(frozen=True)
class Pair:
    utt: str
    noisy: Path
    clean: Path


def read_pairs(data_dir: str | os.PathLike) -> list[Pair]:
    """Pairs of ``wav.scp`` (noisy) and ``spk1.scp`` (clean) matched by utterance id, sorted by id."""
    d = Path(data_dir)
    if not d.is_dir():
        raise DataDirError(f"{d}: no such data dir")
    noisy, clean = read_scp(d / "wav.scp"), read_scp(d / "spk1.scp")
    missing = sorted(set(noisy) ^ set(clean))
    if missing:
        which = "spk1.scp" if missing[0] in noisy else "wav.scp"
        raise DataDirError(
            f"{d}: utterance '{missing[0]}' has no entry in {which} "
            f"({len(missing)} unpaired id(s); pairs are matched by utterance id)"
        )
    if not noisy:
        raise DataDirError(f"{d}: wav.scp is empty")
    return [
        Pair(u, _resolve(noisy[u], d, "wav.scp", u), _resolve(clean[u], d, "spk1.scp", u))
        for u in sorted(noisy)
    ]


def window_starts(length: int, window: int, hop: int) -> list[int]:
    """Window starts covering ``length >= window`` samples, the last window aligned to the end."""
    starts = list(range(0, length - window + 1, hop))
    if starts[-1] + window < length:
        starts.append(length - window)
    return starts


def load_pair(
    pair: Pair, sample_rate: int = SAMPLE_RATE, max_mismatch: float = 0.01
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy and clean mono signals ``ndarray[T]`` at ``sample_rate``, trimmed to a common length.

    Lengths that differ by more than ``max_mismatch`` (a fraction) plus 10 ms mean a wrong pairing:
    DataDirError.
    """
    noisy, _ = load(pair.noisy, sample_rate=sample_rate, mono=True)
    clean, _ = load(pair.clean, sample_rate=sample_rate, mono=True)
    n, c = noisy.shape[1], clean.shape[1]
    if abs(n - c) > max_mismatch * max(n, c) + sample_rate // 100:
        raise DataDirError(
            f"utterance '{pair.utt}': noisy ({n / sample_rate:.2f} s) and clean "
            f"({c / sample_rate:.2f} s) lengths differ; are wav.scp and spk1.scp paired correctly?"
        )
    t = min(n, c)
    return noisy[0, :t], clean[0, :t]


def cache_key(data_dir: str | os.PathLike, pairs: list[Pair], params: dict) -> str:
    """Hash of the scp contents, each referenced file's size and mtime, and the windowing parameters."""
    d = Path(data_dir)
    h = hashlib.sha256()
    h.update(json.dumps({"version": CACHE_VERSION, **params}, sort_keys=True).encode())
    for name in ("wav.scp", "spk1.scp"):
        h.update((d / name).read_bytes())
    for p in pairs:
        for f in (p.noisy, p.clean):
            try:
                st = f.stat()
            except OSError:
                raise AudioError(f"{f}: no such file (utterance '{p.utt}' in {d})") from None
            h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def build_cache(
    data_dir: str | os.PathLike,
    cache_root: str | os.PathLike,
    *,
    window: int = 16384,
    stride: float = 0.5,
    preemph: float = 0.95,
    sample_rate: int = SAMPLE_RATE,
    progress: bool = True,
) -> Path:
    """Build (or reuse) the window cache of a data dir; returns its folder."""
    pairs = read_pairs(data_dir)
    hop = max(1, int(round(window * stride)))
    params = {"window": window, "hop": hop, "preemph": preemph, "sample_rate": sample_rate}
    key = cache_key(data_dir, pairs, params)
    root = Path(cache_root)
    final = root / f"segan-{key}"
    if (final / "meta.json").is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    # pass 1: exact lengths from headers (resampled: ceil(frames * new / old), as torchaudio computes it)
    lengths = []
    for p in pairs:
        ni, ci = info(p.noisy), info(p.clean)
        ln = -(-ni.frames * sample_rate // ni.sample_rate)
        lc = -(-ci.frames * sample_rate // ci.sample_rate)
        lengths.append(max(min(ln, lc), window))
    total = int(sum(lengths))
    tmp = Path(tempfile.mkdtemp(prefix=f".segan-{key}.", dir=root))
    try:
        signals = np.lib.format.open_memmap(
            tmp / "signals.npy", mode="w+", dtype=np.float32, shape=(2, total)
        )
        starts, offsets, utts = [], [], []
        pos = 0
        it = pairs
        if progress:
            from tqdm import tqdm

            it = tqdm(pairs, desc=f"cache {Path(data_dir).name}", unit="utt", disable=None, leave=False)
        for p, length in zip(it, lengths):
            noisy, clean = load_pair(p, sample_rate)
            pair = np.zeros((2, length), dtype=np.float32)
            t = min(len(noisy), length)
            pair[0, :t], pair[1, :t] = noisy[:t], clean[:t]
            pair = preemphasis(pair, preemph)
            signals[:, pos : pos + length] = pair
            starts += [pos + s for s in window_starts(length, window, hop)]
            offsets.append(pos)
            utts.append(p.utt)
            pos += length
        signals.flush()
        del signals
        np.save(tmp / "starts.npy", np.asarray(starts, dtype=np.int64))
        meta = {
            "version": CACHE_VERSION,
            "data_dir": str(Path(data_dir).resolve()),
            "utts": utts,
            "offsets": offsets,
            "lengths": lengths,
            "windows": len(starts),
            **params,
        }
        (tmp / "meta.json").write_text(json.dumps(meta) + "\n")
        try:
            os.replace(tmp, final)
        except OSError:  # another process finished the same cache first
            if not (final / "meta.json").is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if progress:
        print(
            f"audiogan: cached {len(starts)} windows of {len(pairs)} utterances in {final}", file=sys.stderr
        )
    return final


class PairedWindows(Dataset):
    """Map-style dataset over a cache: item ``Tensor[2, window]`` (row 0 noisy, row 1 clean, pre-emphasised).

    Keys are plain indices or the trainer's ``(index, seed)`` pairs.
    """

    def __init__(self, cache_dir: str | os.PathLike):
        self.root = Path(cache_dir)
        self.meta = json.loads((self.root / "meta.json").read_text())
        self.window = int(self.meta["window"])
        self.starts = np.load(self.root / "starts.npy")
        self._signals: np.ndarray | None = None  # opened lazily so DataLoader workers each map it themselves

    @property
    def signals(self) -> np.ndarray:
        if self._signals is None:
            self._signals = np.load(self.root / "signals.npy", mmap_mode="r")
        return self._signals

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, key) -> Tensor:
        index, _ = index_and_rng(key)
        s = int(self.starts[index])
        return torch.from_numpy(np.array(self.signals[:, s : s + self.window], dtype=np.float32))

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_signals"] = None
        return state


def paired_windows(data_dir: str | os.PathLike, cache_root: str | os.PathLike, **kwargs) -> PairedWindows:
    """Build or reuse the cache of ``data_dir`` under ``cache_root`` and open it."""
    return PairedWindows(build_cache(data_dir, cache_root, **kwargs))
