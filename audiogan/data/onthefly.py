"""On-the-fly noisy/clean training pairs: every item is a new mixture, a pure function of its sampler key.

``OnTheFlyMixtures(clean_dir, noise_dir, segment=..., mix={...})[(index, seed)]`` returns
``{"noisy": float32 Tensor[segment], "clean": float32 Tensor[segment]}``. All randomness comes from
:func:`audiogan.data.sampling.index_and_rng` of the key (the RIR bank is seeded by ``mix.seed``), so the
same key gives the same tensors in any process, and a resumed run sees exactly the data it would have seen.
The index only names the virtual item (``len`` is ``epoch_size``); what is drawn comes from the seed.

One item, in order (each step's keys in :data:`MIX_DEFAULTS`):

1. **speech**: an utterance of ``clean_dir`` (chosen with probability proportional to its length, so every
   second of speech is equally likely) and a random ``segment``-sample crop; shorter ones are zero-padded
   at a random offset, near-silent crops are redrawn;
2. **room** (``p_reverb``): the speech through a RIR of a bank simulated once (``rir_count`` shoebox rooms,
   ``rt60_range``; :mod:`audiogan.data.corrupt`). The target is then the direct path plus the first
   ``early_ms`` of reflections (0: the dry speech): what a listener wants back, aligned with the input;
3. **noise**: a random crop of a ``noise_dir`` recording (looped when short), or with ``p_babble`` the sum
   of ``babble_talkers`` utterances of *other speakers* of ``clean_dir``, each at unit RMS;
4. **SNR**: uniform in ``snr_range`` dB (with ``p_clean`` in ``clean_snr_range``: near-clean examples),
   measured as in ``audiogan prepare mix``: active speech (:func:`audiogan.data.corrupt.active_power`) of the
   speech as it is in the mixture (reverberant) against the whole noise segment;
5. **channel**, applied to the mixture and to the target alike, since no model can undo it and it should
   not invent a band it never heard: a random EQ (``p_eq``) and a telephone band (``p_telephone``: a
   200-400 Hz high-pass and 3.2-3.6 kHz low-pass, or with ``p_resample8k`` resampling through 8 kHz);
6. **level**: the mixture scaled to an RMS drawn from ``level_range`` dBFS (target by the same factor), both
   scaled down together if the mixture would peak above 0.99 (the SNR is kept).

Audio is decoded once into one int16 array per data dir; with ``cache_dir`` it is saved there as ``.npy``
(keyed by a hash of the data dir's tables and the rate) and memory-mapped, so restarts and DataLoader
workers (which re-open the map instead of copying it) cost nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from audiogan.config import merge
from audiogan.data.corrupt import active_power, draw_eq, draw_telephone, load_rir_bank, reverberate
from audiogan.data.datadir import DataDir
from audiogan.data.sampling import index_and_rng
from audiogan.errors import ConfigError, DataDirError

MIX_DEFAULTS: dict[str, Any] = {
    "snr_range": [-5.0, 25.0],  # dB, uniform (active speech vs noise, as `audiogan prepare mix`)
    "p_clean": 0.05,  # share of near-clean examples ...
    "clean_snr_range": [35.0, 50.0],  # ... whose SNR is drawn from here instead
    "level_range": [-40.0, -15.0],  # RMS of the noisy mixture, dBFS (level robustness)
    "p_babble": 0.15,  # share of examples whose noise is babble of other clean_dir speakers ...
    "babble_talkers": [3, 7],  # ... summing this many utterances (inclusive range)
    "p_reverb": 0.3,  # share of examples whose speech goes through a simulated room
    "rt60_range": [0.2, 0.8],  # seconds (Sabine), uniform over the RIR bank's rooms
    "rir_count": 200,  # RIRs in the bank, simulated once per (count, rate, rt60_range, seed) into cache_dir
    "early_ms": 50.0,  # reverberant target: direct path + this much of the early reflections; 0: dry speech
    "p_eq": 0.3,  # share of examples through a random EQ (mixture and target alike) ...
    "eq_bands": [1, 3],  # ... of this many peaking filters ...
    "eq_gain_db": 6.0,  # ... each with a gain within +- this
    "p_telephone": 0.15,  # share of examples through a telephone band (mixture and target alike) ...
    "telephone_highpass": [200.0, 400.0],  # ... Hz, Butterworth order 4 ...
    "telephone_lowpass": [3200.0, 3600.0],  # ... Hz, order 8 ...
    "p_resample8k": 0.5,  # ... or, with this share of them, resampling through 8 kHz instead
    "seed": 0,  # seeds the RIR bank only (each item's draws come from its sampler key)
}
PEAK_LIMIT = 0.99
_MIN_RMS = 10 ** (-60 / 20)  # a crop quieter than -60 dBFS RMS is silence: draw again
_FULL_SCALE = 32768.0


def check_mix(mix: dict | None) -> dict[str, Any]:
    """``MIX_DEFAULTS`` updated with ``mix``; unknown keys, wrong types and bad values raise ConfigError."""
    m = merge(MIX_DEFAULTS, mix, "data.mix")
    for key in ("snr_range", "clean_snr_range", "level_range", "babble_talkers", "rt60_range", "eq_bands",
                "telephone_highpass", "telephone_lowpass"):
        v = m[key]
        if len(v) != 2 or not all(isinstance(x, int | float) and np.isfinite(x) for x in v) or v[0] > v[1]:
            raise ConfigError(f"data.mix.{key} must be [lo, hi] with lo <= hi, got {v}")
    for key in ("p_clean", "p_babble", "p_reverb", "p_eq", "p_telephone", "p_resample8k"):
        if not 0.0 <= m[key] <= 1.0:
            raise ConfigError(f"data.mix.{key} must lie in [0, 1], got {m[key]}")
    if m["babble_talkers"][0] < 1 or m["eq_bands"][0] < 0 or m["eq_gain_db"] < 0 or m["early_ms"] < 0:
        raise ConfigError("data.mix: babble_talkers must be >= 1, eq_bands, eq_gain_db and early_ms >= 0")
    if m["rt60_range"][0] <= 0 or m["rir_count"] < 0 or (m["p_reverb"] > 0 and m["rir_count"] == 0):
        raise ConfigError("data.mix: rt60_range must be positive and rir_count > 0 when p_reverb > 0")
    if m["level_range"][1] > 0:
        raise ConfigError(f"data.mix.level_range is in dBFS and must be <= 0, got {m['level_range']}")
    m["babble_talkers"] = [int(v) for v in m["babble_talkers"]]
    m["eq_bands"] = [int(v) for v in m["eq_bands"]]
    return m


class AudioStore:
    """Every utterance of a data dir, mono int16 at one rate, concatenated: ``audio: ndarray[N]``.

    ``utts``, ``speakers``, ``offsets`` (``ndarray[U+1]``) and ``rms`` (per utterance, float) index it.
    With ``cache_dir`` the array is ``cache_dir/audio-<hash>.npy`` (memory-mapped) beside its index.
    """

    def __init__(self, data_dir: str | os.PathLike, sample_rate: int, cache_dir: str | os.PathLike | None):
        d = DataDir(data_dir)
        if not d.has("wav.scp"):
            raise DataDirError(f"{d.path}: no wav.scp (make the data dir with 'audiogan prepare dir')")
        self.utts = d.utts
        if not self.utts:
            raise DataDirError(f"{d.path}: the data dir lists no utterances")
        u2s = d.utt2spk if d.has("utt2spk") else {u: u for u in self.utts}
        self.speakers = [u2s[u] for u in self.utts]
        h = hashlib.sha1(f"{sample_rate} v1\n".encode())
        for name in ("wav.scp", "segments"):
            if d.has(name):
                h.update((d.path / name).read_bytes())
        key = h.hexdigest()[:16]
        self._path: Path | None = None
        if cache_dir is not None:
            self._path = Path(cache_dir) / f"audio-{key}.npy"
            index = self._path.with_suffix(".json")
            if self._path.is_file() and index.is_file():
                meta = json.loads(index.read_text())
                self.offsets, self.rms = np.asarray(meta["offsets"], dtype=np.int64), np.asarray(meta["rms"])
                self._audio: np.ndarray | None = None
                return
        chunks, rms = [], []
        for utt in self.utts:
            x, _ = d.load_audio(utt, sample_rate=sample_rate, mono=True)
            q = np.clip(np.round(x[0] * _FULL_SCALE), -32768, 32767).astype(np.int16)
            chunks.append(q)
            power = float(np.mean(np.square(q, dtype=np.float64))) if len(q) else 0.0
            rms.append(np.sqrt(power) / _FULL_SCALE)
        self.offsets = np.concatenate([[0], np.cumsum([len(c) for c in chunks])]).astype(np.int64)
        self.rms = np.asarray(rms)
        self._audio = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}.tmp.npy")
            np.save(tmp, self._audio)
            os.replace(tmp, self._path)
            meta = {"utts": self.utts, "offsets": self.offsets.tolist(), "rms": self.rms.tolist()}
            tmp_index = self._path.with_name(f".{self._path.stem}.{os.getpid()}.tmp.json")
            tmp_index.write_text(json.dumps(meta))
            os.replace(tmp_index, self._path.with_suffix(".json"))
            self._audio = None  # use the memory map from here on, as every worker does

    @property
    def audio(self) -> np.ndarray:
        if self._audio is None:
            self._audio = np.load(self._path, mmap_mode="r")
        return self._audio

    def __getstate__(self) -> dict[str, Any]:  # workers re-open the memory map instead of copying it
        state = dict(self.__dict__)
        if self._path is not None:
            state["_audio"] = None
        return state

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def seconds(self, sample_rate: int) -> float:
        return float(self.offsets[-1]) / sample_rate

    def crop(self, i: int, start: int, length: int) -> np.ndarray:
        """``length`` samples of utterance ``i`` from ``start``, looped when short: float64 ``[T]``."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        n = b - a
        if start + length <= n:
            x = self.audio[a + start : a + start + length]
        else:
            x = self.audio[a:b][np.arange(start, start + length) % n]
        return x.astype(np.float64) / _FULL_SCALE


class OnTheFlyMixtures(Dataset):
    """Noisy/clean pairs mixed per item (see the module docstring); ``len`` is ``epoch_size``."""

    def __init__(
        self, clean_dir: str | Path, noise_dir: str | Path, *, segment: int, sample_rate: int = 16000,
        mix: dict | None = None, epoch_size: int = 10000, cache_dir: str | Path | None = None,
    ):
        if segment <= 0 or sample_rate <= 0 or epoch_size <= 0:
            raise ConfigError("segment, sample_rate and epoch_size must be positive")
        self.segment, self.sample_rate, self.epoch_size = int(segment), int(sample_rate), int(epoch_size)
        self.mix = check_mix(mix)
        self.clean = AudioStore(clean_dir, self.sample_rate, cache_dir)
        self.noise = AudioStore(noise_dir, self.sample_rate, cache_dir)
        if not np.all(self.noise.rms > 0):
            silent = [u for u, r in zip(self.noise.utts, self.noise.rms) if r <= 0]
            raise DataDirError(f"{noise_dir}: noise recordings of digital silence: {' '.join(silent[:5])}")
        lengths = self.clean.lengths()
        if not np.any(lengths > 0):
            raise DataDirError(f"{clean_dir}: every utterance is empty")
        self._weights = np.cumsum(np.maximum(lengths, 1) * (lengths > 0))  # drawn by length
        spk = np.asarray(self.clean.speakers)
        self._babble_ok = self.mix["p_babble"] > 0 and len(set(self.clean.speakers)) > 1
        self._spk = spk
        m = self.mix
        count = m["rir_count"] if m["p_reverb"] > 0 else 0
        self.rirs, self.rir_lengths = load_rir_bank(cache_dir, count, sample_rate, m["rt60_range"], m["seed"])

    def __len__(self) -> int:
        return self.epoch_size

    def _speech(self, rng: np.random.Generator) -> tuple[int, np.ndarray]:
        """A random crop of clean speech: ``(utterance index, x[segment])``."""
        T = self.segment
        for _ in range(10):
            i = int(np.searchsorted(self._weights, rng.random() * self._weights[-1], side="right"))
            n = int(self.clean.offsets[i + 1] - self.clean.offsets[i])
            if n >= T:
                x = self.clean.crop(i, int(rng.integers(0, n - T + 1)), T)
            else:  # short utterance: zero-pad at a random offset
                x = np.zeros(T)
                at = int(rng.integers(0, T - n + 1))
                x[at : at + n] = self.clean.crop(i, 0, n)
            if np.sqrt(np.mean(x**2)) > _MIN_RMS:
                return i, x
        return i, x  # ten near-silent crops in a row: a quiet data dir; mix it anyway (SNR guard below)

    def _noise(self, rng: np.random.Generator, utt_index: int) -> np.ndarray:
        T = self.segment
        if self._babble_ok and rng.random() < self.mix["p_babble"]:
            others = np.flatnonzero((self._spk != self._spk[utt_index]) & (self.clean.rms > 0))
            if len(others):
                out = np.zeros(T)
                lo, hi = self.mix["babble_talkers"]
                for _ in range(int(rng.integers(lo, hi + 1))):
                    j = int(others[int(rng.integers(len(others)))])
                    n = int(self.clean.offsets[j + 1] - self.clean.offsets[j])
                    out += self.clean.crop(j, int(rng.integers(0, n)), T) / self.clean.rms[j]
                if np.any(out):
                    return out
        for _ in range(10):
            j = int(rng.integers(len(self.noise.utts)))
            n = int(self.noise.offsets[j + 1] - self.noise.offsets[j])
            start = int(rng.integers(0, n - T + 1)) if n >= T else int(rng.integers(n))
            seg = self.noise.crop(j, start, T)
            if np.any(seg):
                return seg
        return seg + 1e-5 * rng.standard_normal(T)  # ten silent crops in a row: a faint floor instead

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Tensor]:
        _, rng = index_and_rng(key)
        m, sr = self.mix, self.sample_rate
        utt, speech = self._speech(rng)
        target = speech
        if len(self.rirs) and rng.random() < m["p_reverb"]:
            r = int(rng.integers(len(self.rirs)))
            speech, target = reverberate(speech, self.rirs[r, : self.rir_lengths[r]], sr, m["early_ms"])
        noise = self._noise(rng, utt)
        snr = float(rng.uniform(*(m["clean_snr_range"] if rng.random() < m["p_clean"] else m["snr_range"])))
        p_s = active_power(speech, sr)
        p_n = max(float(np.mean(noise**2)), 1e-20)
        noise = noise * np.sqrt(max(p_s, 1e-12) / (p_n * 10 ** (snr / 10)))
        noisy = speech + noise
        # channel: EQ and telephone band on the mixture and the target alike (draws in a fixed order)
        eq = draw_eq(rng, sr, m["eq_bands"], m["eq_gain_db"]) if rng.random() < m["p_eq"] else None
        tel = draw_telephone(rng, sr, m["telephone_highpass"], m["telephone_lowpass"], m["p_resample8k"]) \
            if rng.random() < m["p_telephone"] else None
        for f in (eq, tel):
            if f is not None:
                noisy, target = f(noisy), f(target)
        level = float(rng.uniform(*m["level_range"]))
        g = 10 ** (level / 20) / max(float(np.sqrt(np.mean(noisy**2))), 1e-9)
        peak = max(float(np.max(np.abs(noisy))), float(np.max(np.abs(target)))) * g
        if peak > PEAK_LIMIT:
            g *= PEAK_LIMIT / peak
        return {"noisy": torch.from_numpy((noisy * g).astype(np.float32)),
                "clean": torch.from_numpy((target * g).astype(np.float32))}
