"""Mix clean speech with noise at set SNRs into an enhancement data dir (``audiogan prepare mix``).

For every clean utterance (``utts_per_clean`` times) a random generator seeded by ``(seed, utterance id,
k)`` picks an SNR from ``snrs``, a noise recording (uniformly) and a random offset into it; a recording
shorter than the utterance is looped from that offset. Seeding per utterance makes the result independent
of the order and of how the work is split across jobs: the same command gives byte-identical files.

SNR definition (``snr_mode``), with ``s`` the clean speech and ``n`` the scaled noise segment:

* ``active`` (default): ``10 log10(mean(s[active]^2) / mean(n^2))``, where ``active`` are the samples in
  frames (32 ms, 8 ms hop) whose RMS is within 30 dB of the loudest frame (``librosa.effects.split``). Like
  the active speech level of ITU-T P.56 that the SEGAN data set used, pauses do not lower the speech level;
* ``utterance``: ``10 log10(mean(s^2) / mean(n^2))`` over the whole utterance.

Augmentation for training sets that generalise (all off by default; each seeded per utterance from a
stream of its own, so turning one on leaves the other draws unchanged):

* ``snr_range=(lo, hi)``: the SNR is drawn uniformly from the range instead of from the ``snrs`` list;
* ``babble`` (a speech data dir), ``babble_share`` and ``babble_talkers=(lo, hi)``: that share of the
  mixtures uses babble instead of a noise recording - the sum of lo..hi random utterances of the babble
  dir (never the utterance being mixed), each at unit RMS from a random offset, looped as needed;
* ``gain_range=(lo, hi)``: a random gain in dB applied to noisy and clean alike (level robustness);
* ``bandlimit_share``: that share of the mixtures goes through 8 kHz (noisy and clean alike), so the
  model also learns telephone-band input, whose clean target has no content above 4 kHz either.

If the mix would clip (peak above 0.99 of full scale) the noisy mix and its clean reference are scaled
down together, which keeps the SNR. Both are written as 16-bit PCM WAV, quantised so that
``noisy - clean`` equals the written noise exactly. Output data dir::

    OUTDIR/wav.scp    noisy audio (OUTDIR/audio/noisy/<utt>.wav unless --wav-dir)
    OUTDIR/spk1.scp   the clean reference exactly as mixed (audio/clean/<utt>.wav)
    OUTDIR/utt2spk, spk2utt, utt2dur, utt2snr (the SNR set, dB), utt2noise ('<noise-utt> <offset seconds>',
                  or 'babble <talkers>'), utt2band ('full' or '8000', with bandlimit_share > 0)
    OUTDIR/mix.yaml   the settings (snr_mode, snrs, seed, ...)
"""

from __future__ import annotations

import os
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from audiogan.data.datadir import DataDir, read_table, utt2spk_to_spk2utt, write_table, write_text_atomic
from audiogan.errors import AudioError, AudioGanError, DataDirError

SNR_MODES = ("active", "utterance")
PEAK_LIMIT = 0.99
ACTIVE_TOP_DB = 30.0
_FULL_SCALE = 32768.0  # libsndfile maps float k/32768 to the 16-bit integer k exactly
_NOISE_CACHE = 64  # noise recordings kept in memory (resampled)


def active_mask(x: np.ndarray, sample_rate: int, top_db: float = ACTIVE_TOP_DB) -> np.ndarray:
    """Samples of active speech: ``x: ndarray[T]`` -> ``bool ndarray[T]``.

    Frames of 32 ms (8 ms hop) whose RMS is within ``top_db`` of the loudest frame count as active.
    """
    import librosa

    frame = max(16, int(round(0.032 * sample_rate)))
    hop = max(4, frame // 4)
    mask = np.zeros(x.shape[-1], dtype=bool)
    y = np.asarray(x, dtype=np.float32)
    if len(y) < frame:
        mask[:] = True
        return mask
    for a, b in librosa.effects.split(y, top_db=top_db, frame_length=frame, hop_length=hop):
        mask[a:b] = True
    return mask


def measure_snr(clean: np.ndarray, noise: np.ndarray, sample_rate: int, mode: str = "active") -> float:
    """SNR in dB of ``clean: ndarray[T]`` against ``noise: ndarray[T]`` as ``mode`` defines it (see above)."""
    if mode not in SNR_MODES:
        raise AudioGanError(f"unknown SNR mode '{mode}' (choose from: {', '.join(SNR_MODES)})")
    s = np.asarray(clean, dtype=np.float64)
    n = np.asarray(noise, dtype=np.float64)
    speech = s[active_mask(s, sample_rate)] if mode == "active" else s
    return float(10 * np.log10(np.mean(speech**2) / np.mean(n**2)))


def _uid(utt: str) -> int:
    return zlib.crc32(utt.encode("utf-8"))


def _quantise(x: np.ndarray) -> np.ndarray:
    return np.round(x * _FULL_SCALE) / _FULL_SCALE


class _NoisePool:
    """Noise recordings of a data dir, loaded mono at a given rate on first use (LRU-cached)."""

    def __init__(self, d: DataDir):
        self.d = d
        self.utts = d.utts
        if not self.utts:
            raise DataDirError(f"{d.path}: the noise data dir lists no recordings")
        self._cache: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()

    def get(self, utt: str, sample_rate: int) -> np.ndarray:
        key = (utt, sample_rate)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        x, _ = self.d.load_audio(utt, sample_rate=sample_rate, mono=True)
        n = x[0].astype(np.float64)
        if not np.any(n):
            raise AudioError(f"{self.d.path}: noise '{utt}' is digital silence")
        self._cache[key] = n
        if len(self._cache) > _NOISE_CACHE:
            self._cache.popitem(last=False)
        return n


def _draw_noise(
    pool: _NoisePool, rng: np.random.Generator, length: int, sr: int
) -> tuple[str, int, np.ndarray]:
    """A noise segment of ``length`` samples: ``(noise utt, offset, segment[T])``; redraws silent segments."""
    for _ in range(10):
        nutt = pool.utts[int(rng.integers(len(pool.utts)))]
        n = pool.get(nutt, sr)
        if len(n) >= length:
            off = int(rng.integers(0, len(n) - length + 1))
            seg = n[off:off + length]
        else:  # loop a short recording, starting at a random point
            off = int(rng.integers(0, len(n)))
            seg = np.take(n, np.arange(off, off + length) % len(n))
        if np.any(seg):
            return nutt, off, seg
    raise AudioError(f"{pool.d.path}: 10 noise segments in a row were digital silence")


def _babble(pool: _NoisePool, rng: np.random.Generator, length: int, sr: int, talkers: int,
            exclude: str) -> np.ndarray:
    """Babble of ``talkers`` utterances of ``pool`` (not ``exclude``), each at unit RMS: ``ndarray[T]``."""
    utts = [u for u in pool.utts if u != exclude]
    if not utts:
        raise DataDirError(f"{pool.d.path}: the babble data dir needs another utterance than '{exclude}'")
    out = np.zeros(length)
    for _ in range(talkers):
        x = pool.get(utts[int(rng.integers(len(utts)))], sr)
        off = int(rng.integers(0, len(x)))
        seg = np.take(x, np.arange(off, off + length) % len(x))
        out += seg / max(float(np.sqrt(np.mean(x**2))), 1e-8)
    return out


def band_limit(x: np.ndarray, sample_rate: int, band_rate: int = 8000) -> np.ndarray:
    """``x: ndarray[T]`` resampled to ``band_rate`` and back (torchaudio's sinc resampler): same length."""
    if sample_rate <= band_rate:
        return x
    import torch
    import torchaudio.functional as AF

    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    y = AF.resample(AF.resample(t, sample_rate, band_rate), band_rate, sample_rate).numpy()
    out = np.zeros(len(x))
    out[: min(len(x), len(y))] = y[: len(x)]
    return out


def mix_one(
    clean: np.ndarray, noise: np.ndarray, snr_db: float, sample_rate: int, mode: str = "active",
    *, gain_db: float = 0.0, band_rate: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mix ``clean: ndarray[T]`` with ``noise: ndarray[T]`` at ``snr_db`` -> ``(noisy[T], clean_ref[T])``.

    Both outputs lie on the 16-bit grid with ``noisy == clean_ref + scaled noise`` exactly, and both are
    scaled down together when the mix would peak above :data:`PEAK_LIMIT`. ``gain_db`` scales both;
    ``band_rate`` band-limits both by resampling through that rate.
    """
    s = np.asarray(clean, dtype=np.float64)
    n = np.asarray(noise, dtype=np.float64)
    if band_rate:  # before the SNR is set, so utt2snr holds for the band-limited pair too
        s, n = band_limit(s, sample_rate, band_rate), band_limit(n, sample_rate, band_rate)
    speech = s[active_mask(s, sample_rate)] if mode == "active" else s
    p_s, p_n = float(np.mean(speech**2)), float(np.mean(n**2))
    if p_s <= 0:
        raise AudioError("the clean signal is digital silence; no SNR can be set")
    if p_n <= 0:
        raise AudioError("the noise segment is digital silence; no SNR can be set")
    n = n * np.sqrt(p_s / (p_n * 10 ** (snr_db / 10)))
    if gain_db:
        g = 10 ** (gain_db / 20)
        s, n = s * g, n * g
    peak = max(float(np.max(np.abs(s + n))), float(np.max(np.abs(s))))
    if peak > PEAK_LIMIT:
        scale = PEAK_LIMIT / peak
        s, n = s * scale, n * scale
    s, n = _quantise(s), _quantise(n)
    return s + n, s


def parse_range(text: str, what: str) -> tuple[float, float]:
    """``'-5,20'`` -> ``(-5.0, 20.0)`` (lo <= hi, finite); anything else is a clear error."""
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise AudioGanError(f"{what} must be two comma-separated numbers LO,HI, got '{text}'") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise AudioGanError(f"{what} must be finite with LO <= HI, got '{text}'")
    return lo, hi


def parse_snrs(text: str) -> list[float]:
    """``'0,5,10,15'`` -> ``[0.0, 5.0, 10.0, 15.0]``; anything else is a clear error."""
    try:
        snrs = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise AudioGanError(f"--snrs must be comma-separated numbers in dB, got '{text}'") from None
    if not snrs or not all(np.isfinite(snrs)):
        raise AudioGanError(f"--snrs must be comma-separated finite numbers in dB, got '{text}'")
    return snrs


def mix_data_dirs(
    clean: str | os.PathLike,
    noise: str | os.PathLike,
    outdir: str | os.PathLike,
    *,
    snrs: Sequence[float],
    seed: int = 0,
    snr_mode: str = "active",
    utts_per_clean: int = 1,
    sample_rate: int | None = None,
    wav_dir: str | os.PathLike | None = None,
    progress: bool = True,
    snr_range: tuple[float, float] | None = None,
    gain_range: tuple[float, float] | None = None,
    babble: str | os.PathLike | None = None,
    babble_share: float = 0.0,
    babble_talkers: tuple[int, int] = (3, 6),
    bandlimit_share: float = 0.0,
) -> DataDir:
    """Write the noisy/clean pairs and the enhancement data dir ``outdir`` (see the module docstring).

    Utterance ids stay those of ``clean`` (with ``utts_per_clean > 1``: ``<utt>-mix<k>``). ``sample_rate``
    resamples everything to one rate (default: each clean utterance's own rate; noise is resampled to it).
    """
    from tqdm import tqdm

    from audiogan.audio import save

    if snr_mode not in SNR_MODES:
        raise AudioGanError(f"unknown SNR mode '{snr_mode}' (choose from: {', '.join(SNR_MODES)})")
    if not snrs and snr_range is None:
        raise AudioGanError("give at least one SNR")
    for name, share in (("--babble-share", babble_share), ("--bandlimit-share", bandlimit_share)):
        if not 0.0 <= share <= 1.0:
            raise AudioGanError(f"{name} must lie in [0, 1], got {share}")
    if babble_share > 0 and babble is None:
        raise AudioGanError("--babble-share needs --babble DATADIR (speech to build the babble from)")
    if not 1 <= babble_talkers[0] <= babble_talkers[1]:
        raise AudioGanError(f"--babble-talkers must be 1 <= LO <= HI, got {babble_talkers}")
    if utts_per_clean < 1:
        raise AudioGanError(f"--utts-per-clean must be at least 1, got {utts_per_clean}")
    c, nz = DataDir(clean), DataDir(noise)
    if not c.has("wav.scp"):
        raise DataDirError(f"{c.path}: no wav.scp (make the clean data dir with 'audiogan prepare dir')")
    if not nz.has("wav.scp"):
        raise DataDirError(f"{nz.path}: no wav.scp (make the noise data dir with 'audiogan prepare dir')")
    out = Path(outdir)
    for src in (c, nz):
        if out.resolve() == src.path.resolve():
            raise AudioGanError(f"{out}: the output dir must differ from the input data dirs")
    wav_root = Path(wav_dir) if wav_dir is not None else out / "audio"
    pool = _NoisePool(nz)
    babble_pool = _NoisePool(DataDir(babble)) if babble is not None and babble_share > 0 else None
    utt2spk = c.utt2spk
    tables: dict[str, dict[str, str]] = {n: {} for n in ("wav.scp", "spk1.scp", "utt2spk", "utt2dur",
                                                          "utt2snr", "utt2noise", "utt2band")}
    new_of: dict[str, str] = {}
    jobs = [(u, k) for u in c.utts for k in range(utts_per_clean)]
    for utt, k in tqdm(jobs, desc="mix", unit="utt", disable=None if progress else True):
        new = utt if utts_per_clean == 1 else f"{utt}-mix{k}"
        if "/" in new:
            raise DataDirError(f"{c.path}: utterance id '{utt}' contains '/', which cannot name a file")
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, _uid(utt), k])
        aug = np.random.default_rng([int(seed) & 0xFFFFFFFF, _uid(utt), k, 1])  # augmentation draws
        snr = float(snrs[int(rng.integers(len(snrs)))]) if snr_range is None else float(
            np.round(aug.uniform(*snr_range), 2))
        x, sr = c.load_audio(utt, sample_rate=sample_rate, mono=True)
        nutt, off, seg = _draw_noise(pool, rng, x.shape[1], sr)
        if babble_pool is not None and aug.random() < babble_share:
            talkers = int(aug.integers(babble_talkers[0], babble_talkers[1] + 1))
            seg = _babble(babble_pool, aug, x.shape[1], sr, talkers, exclude=utt)
            nutt, off = "babble", talkers * sr  # utt2noise: 'babble <talkers>'
        gain = float(aug.uniform(*gain_range)) if gain_range is not None else 0.0
        band = 8000 if bandlimit_share > 0 and aug.random() < bandlimit_share else None
        try:
            noisy, ref = mix_one(x[0], seg, snr, sr, snr_mode, gain_db=gain, band_rate=band)
        except AudioError as e:
            raise AudioError(f"{c.path}: utterance '{utt}': {e}") from None
        noisy_path = (wav_root / "noisy" / f"{new}.wav").resolve()
        clean_path = (wav_root / "clean" / f"{new}.wav").resolve()
        save(noisy_path, noisy.astype(np.float32), sr, subtype="PCM_16", guard=False)
        save(clean_path, ref.astype(np.float32), sr, subtype="PCM_16", guard=False)
        tables["wav.scp"][new] = str(noisy_path)
        tables["spk1.scp"][new] = str(clean_path)
        tables["utt2spk"][new] = utt2spk[utt]
        tables["utt2dur"][new] = f"{len(noisy) / sr:.6g}"
        tables["utt2snr"][new] = f"{snr:g}"
        tables["utt2noise"][new] = f"{nutt} {off / sr:.6g}"
        tables["utt2band"][new] = "8000" if band and sr > 8000 else "full"
        new_of[new] = utt
    out.mkdir(parents=True, exist_ok=True)
    if bandlimit_share <= 0:
        del tables["utt2band"]
    for name, table in tables.items():
        write_table(out / name, table)
    write_table(out / "spk2utt", utt2spk_to_spk2utt(tables["utt2spk"]))
    # Carry the clean dir's per-utterance and per-speaker annotations (text, utt2label, spk2gender, ...).
    for name in c.table_files():
        if name == "text" or (name.startswith("utt2") and name not in tables and name != "utt2spk"):
            src = read_table(c.path / name, allow_empty_value=True)
            write_table(out / name, {new: src[old] for new, old in new_of.items() if old in src})
        elif name.startswith("spk2") and name != "spk2utt":
            write_table(out / name, read_table(c.path / name, allow_empty_value=True))
    augmentation = {}
    if snr_range or gain_range or babble_pool is not None or bandlimit_share > 0:
        augmentation = dict(
            snr_range=list(snr_range) if snr_range else None,
            gain_range=list(gain_range) if gain_range else None,
            babble=str(Path(babble).resolve()) if babble_pool is not None else None,
            babble_share=float(babble_share), babble_talkers=list(babble_talkers),
            bandlimit_share=float(bandlimit_share))
    _write_settings(out / "mix.yaml", snr_mode=snr_mode, snrs=[float(s) for s in snrs], seed=int(seed),
                    utts_per_clean=utts_per_clean, sample_rate=sample_rate, noise=str(nz.path.resolve()),
                    **augmentation)
    return DataDir(out)


def _write_settings(path: Path, **settings) -> None:
    import yaml

    write_text_atomic(path, yaml.safe_dump(settings, sort_keys=True))
