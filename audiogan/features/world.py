"""WORLD vocoder features (pyworld): F0, spectral envelope, aperiodicity, coded envelopes, synthesis,
per-speaker statistics and the per-utterance feature archive (``feats.scp``).

Conventions (all arrays are numpy; ``N`` frames of ``frame_period`` ms, ``F = fft_size // 2 + 1`` bins):

* ``x: ndarray[T]`` float64 mono waveform in [-1, 1) at ``cfg.sample_rate``;
* ``f0: ndarray[N]`` in Hz, 0 on unvoiced frames;
* ``sp: ndarray[N, F]`` CheapTrick power spectral envelope, ``ap: ndarray[N, F]`` D4C aperiodicity in [0, 1];
* ``coded_sp: ndarray[N, D]`` WORLD-coded envelope (``pyworld.code_spectral_envelope``: mel-warped log
  envelope compressed to ``D = cfg.coded_dim`` cepstrum-like coefficients), ``coded_ap: ndarray[N, B]``
  band aperiodicity (``B`` depends on the rate, 1 at 16 kHz).

Archive layout written by :func:`write_feats` (one compressed ``.npz`` per utterance, Kaldi-style index)::

    <datadir>/feats.scp          "<utt-id> <absolute path of feats/<utt-id>.npz>" per line, sorted
    <datadir>/world.json         the WorldConfig the features were made with
    <datadir>/feats/<utt>.npz    arrays f0[N], coded_sp[N, D], coded_ap[N, B] (float32)
    <datadir>/stats/<spk>.json   SpeakerStats of each speaker (see :func:`compute_stats`)

Command line (used by recipes, one job per ``--part`` through ``recipes/utils/run.pl``)::

    python3 -m audiogan.features.world extract --datadir D [--jobs N] [--part J --nparts N]
    python3 -m audiogan.features.world merge --datadir D --nparts N
    python3 -m audiogan.features.world stats --datadir D [--spk X ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing as mp
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audiogan.errors import AudioError, AudioGanError, ConfigError, DataDirError
from audiogan.paths import atomic_open, check_name, child_path, write_text_atomic

# The shortest signal analysed: a few 5 ms frames are not enough for Harvest's F0 tracking to mean anything.
MIN_SECONDS = 0.1
F0_METHODS = ("harvest", "dio")
FEATS_SCP = "feats.scp"
WORLD_JSON = "world.json"
_STD_FLOOR = 1e-8


@dataclass(frozen=True)
class WorldConfig:
    """Analysis settings. ``fft_size=None`` uses pyworld's default for the rate (1024 at 16 kHz).

    ``f0_method``: ``"harvest"`` (robust, ~0.15 s per second of speech) or ``"dio"`` (DIO refined with
    StoneMask, ~30x faster, more voicing errors).
    """

    sample_rate: int = 16000
    frame_period: float = 5.0
    f0_floor: float = 71.0
    f0_ceil: float = 800.0
    f0_method: str = "harvest"
    coded_dim: int = 36
    fft_size: int | None = None

    def __post_init__(self) -> None:
        if (
            not isinstance(self.sample_rate, int)
            or isinstance(self.sample_rate, bool)
            or self.sample_rate < 4000
        ):
            raise ConfigError(f"world sample_rate must be an integer >= 4000 Hz, got {self.sample_rate!r}")
        if not (0 < float(self.frame_period) <= 50):
            raise ConfigError(f"world frame_period must be in (0, 50] ms, got {self.frame_period!r}")
        if not (0 < float(self.f0_floor) < float(self.f0_ceil) <= self.sample_rate / 2):
            raise ConfigError(
                "world F0 range must satisfy 0 < f0_floor < f0_ceil <= rate/2, "
                f"got {self.f0_floor}..{self.f0_ceil}"
            )
        if self.f0_method not in F0_METHODS:
            raise ConfigError(
                f"world f0_method must be one of {', '.join(F0_METHODS)}, got {self.f0_method!r}"
            )
        if not isinstance(self.coded_dim, int) or not (2 <= self.coded_dim <= self.n_bins - 1):
            raise ConfigError(
                f"world coded_dim must be an integer in 2..{self.n_bins - 1}, got {self.coded_dim!r}"
            )
        if self.fft_size is not None:
            import pyworld

            need = pyworld.get_cheaptrick_fft_size(self.sample_rate, self.f0_floor)
            if (
                not isinstance(self.fft_size, int)
                or self.fft_size < need
                or self.fft_size & (self.fft_size - 1)
            ):
                raise ConfigError(
                    f"world fft_size must be a power of two >= {need} for this rate and f0_floor, "
                    f"got {self.fft_size!r}"
                )

    @property
    def resolved_fft_size(self) -> int:
        """The FFT size CheapTrick/D4C use: ``fft_size`` or pyworld's default for the rate and F0 floor."""
        if self.fft_size is not None:
            return int(self.fft_size)
        import pyworld

        return int(pyworld.get_cheaptrick_fft_size(self.sample_rate, self.f0_floor))

    @property
    def n_bins(self) -> int:
        """Spectral bins of ``sp``/``ap``: ``fft_size // 2 + 1``."""
        return self.resolved_fft_size // 2 + 1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> WorldConfig:
        """Build from a plain dict (config section, checkpoint, world.json); unknown keys: ConfigError."""
        d = dict(d or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown world config key '{unknown[0]}' (known: {', '.join(sorted(names))})")
        for key in ("frame_period", "f0_floor", "f0_ceil"):
            if key in d and isinstance(d[key], int) and not isinstance(d[key], bool):
                d[key] = float(d[key])
        for key in ("frame_period", "f0_floor", "f0_ceil"):
            if key in d and not isinstance(d[key], float):
                raise ConfigError(f"world {key} must be a number, got {d[key]!r}")
        return cls(**d)


@dataclass
class WorldFeatures:
    """Full WORLD analysis of one signal: ``f0[N]``, ``sp[N, F]``, ``ap[N, F]`` (float64)."""

    f0: np.ndarray
    sp: np.ndarray
    ap: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.f0.shape[0])


# ---------------------------------------------------------------------------------------------- analysis


def _as_signal(x: np.ndarray, cfg: WorldConfig, what: str = "signal") -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 1:
        raise AudioError(f"{what}: WORLD analysis needs a mono signal, got shape {tuple(x.shape)}")
    if x.shape[0] < MIN_SECONDS * cfg.sample_rate:
        raise AudioError(
            f"{what}: too short for WORLD analysis ({x.shape[0] / cfg.sample_rate:.3f} s < {MIN_SECONDS} s)"
        )
    if not np.isfinite(x).all():
        raise AudioError(f"{what}: contains NaN or Inf samples")
    return np.ascontiguousarray(x, dtype=np.float64)


def estimate_f0(x: np.ndarray, cfg: WorldConfig = WorldConfig()) -> tuple[np.ndarray, np.ndarray]:
    """F0 contour ``f0[N]`` (Hz, 0 = unvoiced) and frame times ``t[N]`` (s) of ``x: ndarray[T]``.

    Harvest, or DIO + StoneMask with ``cfg.f0_method == "dio"``; ``cfg.f0_floor..f0_ceil``, one frame every
    ``cfg.frame_period`` ms, ``N = floor(T / (sr * frame_period / 1000)) + 1``.
    """
    import pyworld

    x = _as_signal(x, cfg)
    kw = dict(f0_floor=float(cfg.f0_floor), f0_ceil=float(cfg.f0_ceil), frame_period=float(cfg.frame_period))
    if cfg.f0_method == "harvest":
        f0, t = pyworld.harvest(x, cfg.sample_rate, **kw)
    else:
        f0, t = pyworld.dio(x, cfg.sample_rate, **kw)
        f0 = pyworld.stonemask(x, f0, t, cfg.sample_rate)
    return f0, t


def analyze(x: np.ndarray, cfg: WorldConfig = WorldConfig()) -> WorldFeatures:
    """WORLD analysis of ``x: ndarray[T]`` (mono, ``cfg.sample_rate``): F0, CheapTrick ``sp``, D4C ``ap``."""
    import pyworld

    x = _as_signal(x, cfg)
    f0, t = estimate_f0(x, cfg)
    fft = cfg.resolved_fft_size
    sp = pyworld.cheaptrick(x, f0, t, cfg.sample_rate, f0_floor=float(cfg.f0_floor), fft_size=fft)
    ap = pyworld.d4c(x, f0, t, cfg.sample_rate, fft_size=fft)
    return WorldFeatures(f0=f0, sp=sp, ap=ap)


def code_envelope(sp: np.ndarray, sample_rate: int, dim: int = 36) -> np.ndarray:
    """Compress ``sp: ndarray[N, F]`` to ``coded_sp: ndarray[N, dim]`` (pyworld.code_spectral_envelope)."""
    import pyworld

    return pyworld.code_spectral_envelope(
        np.ascontiguousarray(sp, dtype=np.float64), int(sample_rate), int(dim)
    )


def decode_envelope(coded_sp: np.ndarray, sample_rate: int, fft_size: int) -> np.ndarray:
    """Inverse of :func:`code_envelope`: ``coded_sp: ndarray[N, D] -> sp: ndarray[N, fft_size//2+1]``."""
    import pyworld

    coded = np.ascontiguousarray(coded_sp, dtype=np.float64)
    return pyworld.decode_spectral_envelope(coded, int(sample_rate), int(fft_size))


def code_aperiodicity(ap: np.ndarray, sample_rate: int) -> np.ndarray:
    """Band aperiodicity ``ndarray[N, B]`` of ``ap: ndarray[N, F]`` (B = 1 at 16 kHz, 5 at 48 kHz)."""
    import pyworld

    return pyworld.code_aperiodicity(np.ascontiguousarray(ap, dtype=np.float64), int(sample_rate))


def decode_aperiodicity(coded_ap: np.ndarray, sample_rate: int, fft_size: int) -> np.ndarray:
    """Inverse of :func:`code_aperiodicity`: ``ndarray[N, B] -> ap: ndarray[N, fft_size//2+1]``."""
    import pyworld

    coded = np.ascontiguousarray(coded_ap, dtype=np.float64)
    return pyworld.decode_aperiodicity(coded, int(sample_rate), int(fft_size))


def synthesize(
    f0: np.ndarray, sp: np.ndarray, ap: np.ndarray, sample_rate: int, frame_period: float = 5.0
) -> np.ndarray:
    """WORLD synthesis: ``f0[N]``, ``sp[N, F]``, ``ap[N, F]`` -> waveform ``ndarray[T]`` float64.

    ``T = N * sample_rate * frame_period / 1000`` (rounded). Non-finite or negative inputs are a ValueError
    from the caller's side, so they are checked here rather than crashing inside the C code.
    """
    import pyworld

    f0 = np.ascontiguousarray(f0, dtype=np.float64)
    sp = np.ascontiguousarray(sp, dtype=np.float64)
    ap = np.ascontiguousarray(ap, dtype=np.float64)
    if not (f0.ndim == 1 and sp.ndim == 2 and ap.shape == sp.shape and sp.shape[0] == f0.shape[0]):
        raise ValueError(f"synthesize: shapes f0{f0.shape}, sp{sp.shape}, ap{ap.shape} do not match")
    if not (np.isfinite(f0).all() and np.isfinite(sp).all() and np.isfinite(ap).all()):
        raise ValueError("synthesize: non-finite F0, envelope or aperiodicity")
    f0 = np.maximum(f0, 0.0)
    return pyworld.synthesize(f0, sp, ap, int(sample_rate), float(frame_period))


# ---------------------------------------------------------------------------------------------- files


def load_wave(path: str | os.PathLike, cfg: WorldConfig = WorldConfig()) -> np.ndarray:
    """Read a mono audio file as ``ndarray[T]`` float64 at ``cfg.sample_rate`` (resampled when needed).

    Multi-channel files are refused (AudioError) rather than silently mixed down.
    """
    from audiogan import audio

    meta = audio.info(path)
    if meta.channels != 1:
        raise AudioError(f"{path}: has {meta.channels} channels; WORLD analysis needs mono audio")
    x, _ = audio.load(path, sample_rate=cfg.sample_rate)
    return _as_signal(x[0], cfg, str(path))


def extract(
    source: str | os.PathLike | np.ndarray, cfg: WorldConfig = WorldConfig()
) -> dict[str, np.ndarray]:
    """Archive features of one utterance (a file path, or a waveform ``ndarray[T]`` at ``cfg.sample_rate``).

    Returns ``{"f0": [N], "coded_sp": [N, cfg.coded_dim], "coded_ap": [N, B]}``, all float32. Training
    and statistics use ``f0`` and ``coded_sp``; conversion re-analyses the source for its full ``ap``.
    """
    x = load_wave(source, cfg) if isinstance(source, str | os.PathLike) else _as_signal(source, cfg)
    feats = analyze(x, cfg)
    return {
        "f0": feats.f0.astype(np.float32),
        "coded_sp": code_envelope(feats.sp, cfg.sample_rate, cfg.coded_dim).astype(np.float32),
        "coded_ap": code_aperiodicity(feats.ap, cfg.sample_rate).astype(np.float32),
    }


def _extract_job(args: tuple[str, str, dict[str, Any]]) -> tuple[str, dict[str, np.ndarray]]:
    utt, path, cfg = args
    return utt, extract(path, WorldConfig.from_dict(cfg))


def run_jobs(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    jobs: int = 1,
    progress: bool = False,
    desc: str = "",
    preload: Sequence[str] = (),
) -> list[Any]:
    """``[fn(item) for item in items]`` in ``jobs`` worker processes, results in input order.

    ``fn`` must be a picklable module-level function. Workers come from a forkserver (never a plain fork of a
    process that may hold torch/OpenMP threads), so results equal the serial ones. A progress bar goes to
    stderr with ``progress``. An AudioGanError raised in a worker is re-raised here unchanged. ``preload``
    names extra modules the forkserver imports once (slow imports the workers would otherwise each repeat).
    """
    from tqdm import tqdm

    jobs = max(1, int(jobs))
    bar = tqdm(total=len(items), desc=desc or None, disable=not progress, file=sys.stderr, unit="file")
    try:
        if jobs == 1 or len(items) <= 1:
            out = []
            for item in items:
                out.append(fn(item))
                bar.update(1)
            return out
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        if method == "forkserver":
            # Import the heavy modules once in the server instead of once per worker.
            ctx.set_forkserver_preload([fn.__module__, "audiogan.audio", *preload])
        results: list[Any] = [None] * len(items)
        with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=ctx) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            try:
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.update(1)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
        return results
    finally:
        bar.close()


def extract_many(
    items: Mapping[str, str | os.PathLike] | Sequence[str | os.PathLike],
    cfg: WorldConfig = WorldConfig(),
    jobs: int = 1,
    progress: bool = False,
) -> dict[str, dict[str, np.ndarray]]:
    """:func:`extract` for many files in ``jobs`` processes: ``{utt: feats}`` in input order.

    ``items`` is ``{utt-id: path}`` or a list of paths (keyed by file stem; duplicate stems are an error).
    Results are identical whatever ``jobs`` is.
    """
    if not isinstance(items, Mapping):
        paths = [Path(p) for p in items]
        stems = [p.stem for p in paths]
        dup = sorted({s for s in stems if stems.count(s) > 1})
        if dup:
            raise AudioGanError(f"duplicate file name '{dup[0]}': pass {{utt-id: path}} instead")
        items = dict(zip(stems, paths))
    work = [(utt, str(p), cfg.to_dict()) for utt, p in items.items()]
    done = run_jobs(_extract_job, work, jobs=jobs, progress=progress, desc="WORLD features")
    return dict(done)


# ---------------------------------------------------------------------------------------------- archive


def _atomic_write_bytes(path: Path, write: Callable[[Any], None], suffix: str = "") -> None:
    with atomic_open(path, "wb") as f:
        write(f)


def _atomic_write_text(path: Path, text: str) -> None:
    write_text_atomic(path, text)


def save_utt_feats(path: str | os.PathLike, feats: Mapping[str, np.ndarray]) -> Path:
    """Write one utterance's arrays to a compressed ``.npz`` atomically."""
    path = Path(path)
    _atomic_write_bytes(
        path, lambda f: np.savez_compressed(f, **{k: np.asarray(v) for k, v in feats.items()})
    )
    return path


def load_utt_feats(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read one utterance's features (needs ``f0`` and ``coded_sp``); a bad file is a DataDirError.

    ``path`` is a ``feats.scp`` value: ``utt.npz`` (as written here) or ``archive.npz:KEY`` (as written by
    :class:`audiogan.data.datadir.FeatsWriter`).
    """
    from audiogan.data.datadir import load_feats_entry

    try:
        feats = load_feats_entry(str(path))
    except DataDirError:
        raise
    except Exception as e:  # a damaged zip can fail in several ways inside numpy
        raise DataDirError(f"{path}: unreadable feature file ({type(e).__name__})") from None
    f0, sp = feats.get("f0"), feats.get("coded_sp")
    if f0 is None or sp is None or f0.ndim != 1 or sp.ndim != 2 or sp.shape[0] != f0.shape[0]:
        raise DataDirError(f"{path}: not a WORLD feature file (needs f0[N] and coded_sp[N, D])")
    return feats


def read_scp(path: str | os.PathLike) -> dict[str, str]:
    """Kaldi ``key value`` lines (``wav.scp``, ``feats.scp``, ``utt2spk``) as an ordered dict.

    Blank lines are skipped; a line without a value or a repeated key is a DataDirError naming the line.
    """
    path = Path(path)
    if not path.is_file():
        raise DataDirError(f"{path}: no such file")
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(maxsplit=1)
        if len(parts) != 2:
            raise DataDirError(f"{path}:{n}: expected '<key> <value>'")
        if parts[0] in out:
            raise DataDirError(f"{path}:{n}: duplicate key '{parts[0]}'")
        out[parts[0]] = parts[1].strip()
    return out


def read_wav_scp(datadir: str | os.PathLike) -> dict[str, Path]:
    """``{utt: audio path}`` from ``<datadir>/wav.scp``.

    Relative paths are taken from the current directory, falling back to the data dir (the convention of
    :mod:`audiogan.data.datadir`). Piped commands (``cmd |``) and ``segments`` files are not supported.
    """
    datadir = Path(datadir)
    if (datadir / "segments").exists():
        raise DataDirError(
            f"{datadir}: data dirs with a 'segments' file are not supported for WORLD features"
        )
    entries = read_scp(datadir / "wav.scp")
    if not entries:
        raise DataDirError(f"{datadir / 'wav.scp'}: empty")
    out: dict[str, Path] = {}
    for utt, value in entries.items():
        if value.endswith("|"):
            from audiogan.data.datadir import pipe_error

            raise pipe_error(f"{datadir}/wav.scp", utt, "WORLD feature extraction")
        p = Path(value)
        if not p.is_absolute() and not p.exists() and (datadir / p).exists():
            p = datadir / p
        out[utt] = p
    return out


def write_feats(
    feats: Mapping[str, Mapping[str, np.ndarray]], feat_dir: str | os.PathLike, scp: str | os.PathLike
) -> Path:
    """Write ``<feat_dir>/<utt>.npz`` for every utterance and the index ``scp`` (sorted, absolute paths)."""
    feat_dir = Path(feat_dir).resolve()
    paths = {utt: child_path(feat_dir, utt, ".npz", "utterance id") for utt in feats}  # all, before writing
    lines = []
    for utt in sorted(feats):
        path = save_utt_feats(paths[utt], feats[utt])
        lines.append(f"{utt} {path}\n")
    _atomic_write_text(Path(scp), "".join(lines))
    return Path(scp)


def read_feats_scp(scp: str | os.PathLike) -> dict[str, str]:
    """``{utt: value}`` from a ``feats.scp``; a value is ``path.npz`` or ``archive.npz:KEY``.

    Relative paths are resolved against the current directory, falling back to the scp's folder.
    """
    scp = Path(scp)
    out = {}
    for utt, value in read_scp(scp).items():
        p = Path(value.rsplit(":", 1)[0] if re.search(r"\.npz:[^/:]+$", value) else value)
        if not p.is_absolute() and not p.exists() and (scp.parent / p).exists():
            value = str(scp.parent / value)
        out[utt] = value
    return out


def load_feats(scp: str | os.PathLike, utts: Iterable[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Load the archive indexed by ``scp`` (optionally only ``utts``): ``{utt: {"f0", "coded_sp", ...}}``."""
    index = read_feats_scp(scp)
    keys = list(index) if utts is None else list(utts)
    missing = [u for u in keys if u not in index]
    if missing:
        raise DataDirError(f"{scp}: no features for utterance '{missing[0]}'")
    return {u: load_utt_feats(index[u]) for u in keys}


def save_world_config(path: str | os.PathLike, cfg: WorldConfig) -> Path:
    _atomic_write_text(Path(path), json.dumps(cfg.to_dict(), indent=1) + "\n")
    return Path(path)


def load_world_config(path: str | os.PathLike) -> WorldConfig:
    """The WorldConfig stored in ``world.json`` (a file, or a data dir holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / WORLD_JSON
    try:
        d = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataDirError(f"{path}: no such file (extract features first)") from None
    except (OSError, ValueError) as e:
        raise DataDirError(f"{path}: unreadable ({type(e).__name__})") from None
    return WorldConfig.from_dict(d)


# ---------------------------------------------------------------------------------------------- statistics


@dataclass
class SpeakerStats:
    """Per-speaker normalisation statistics.

    ``logf0_mean``/``logf0_std``: mean and (population) std of ln F0 over voiced frames;
    ``sp_mean[D]``/``sp_std[D]``: per-dimension mean and std of ``coded_sp`` over all frames.
    """

    logf0_mean: float
    logf0_std: float
    sp_mean: np.ndarray
    sp_std: np.ndarray
    n_frames: int = 0
    n_voiced: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain floats/lists/ints only, so it can sit in a checkpoint loaded with ``weights_only=True``."""
        return {
            "logf0_mean": float(self.logf0_mean),
            "logf0_std": float(self.logf0_std),
            "sp_mean": [float(v) for v in self.sp_mean],
            "sp_std": [float(v) for v in self.sp_std],
            "n_frames": int(self.n_frames),
            "n_voiced": int(self.n_voiced),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SpeakerStats:
        """Inverse of :meth:`to_dict`; also accepts tensors/arrays for the vectors."""
        try:
            sp_mean = np.asarray(_to_numpy(d["sp_mean"]), dtype=np.float64).reshape(-1)
            sp_std = np.asarray(_to_numpy(d["sp_std"]), dtype=np.float64).reshape(-1)
            stats = cls(
                logf0_mean=float(d["logf0_mean"]),
                logf0_std=float(d["logf0_std"]),
                sp_mean=sp_mean,
                sp_std=sp_std,
                n_frames=int(d.get("n_frames", 0)),
                n_voiced=int(d.get("n_voiced", 0)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise DataDirError(f"malformed speaker statistics ({type(e).__name__}: {e})") from None
        if stats.sp_mean.shape != stats.sp_std.shape or not (
            np.isfinite(stats.sp_mean).all()
            and np.isfinite(stats.sp_std).all()
            and math.isfinite(stats.logf0_mean)
        ):
            raise DataDirError("malformed speaker statistics (shape mismatch or non-finite values)")
        return stats

    def save(self, path: str | os.PathLike) -> Path:
        """Write as JSON (atomically)."""
        _atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=1) + "\n")
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> SpeakerStats:
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except FileNotFoundError:
            raise DataDirError(f"{path}: no such statistics file (run the 'stats' step)") from None
        except (OSError, ValueError) as e:
            raise DataDirError(f"{path}: unreadable statistics file ({type(e).__name__})") from None
        if not isinstance(d, dict):
            raise DataDirError(f"{path}: not a statistics file")
        try:
            return cls.from_dict(d)
        except DataDirError as e:
            raise DataDirError(f"{path}: {e}") from None


def _to_numpy(v: Any) -> Any:
    return v.detach().cpu().numpy() if hasattr(v, "detach") else v


def compute_stats(feats: Iterable[Mapping[str, np.ndarray]]) -> SpeakerStats:
    """Statistics of one speaker from its utterances' features (dicts with ``f0[N]`` and ``coded_sp[N, D]``).

    Standard deviations are population stds floored at 1e-8 so normalising never divides by zero.
    """
    f0s, sps = [], []
    for f in feats:
        f0s.append(np.asarray(f["f0"], dtype=np.float64).reshape(-1))
        sps.append(np.asarray(f["coded_sp"], dtype=np.float64))
    if not sps:
        raise AudioGanError("no utterances to compute statistics from")
    dims = {s.shape[1] for s in sps}
    if len(dims) != 1:
        raise DataDirError(f"utterances have different coded_sp sizes {sorted(dims)}")
    f0 = np.concatenate(f0s)
    sp = np.concatenate(sps, axis=0)
    voiced = f0[f0 > 0]
    if voiced.size < 2:
        raise AudioGanError("no voiced frames: cannot compute log-F0 statistics (is this speech?)")
    logf0 = np.log(voiced)
    return SpeakerStats(
        logf0_mean=float(logf0.mean()),
        logf0_std=float(max(logf0.std(), _STD_FLOOR)),
        sp_mean=sp.mean(axis=0),
        sp_std=np.maximum(sp.std(axis=0), _STD_FLOOR),
        n_frames=int(sp.shape[0]),
        n_voiced=int(voiced.size),
    )


def convert_f0(f0: np.ndarray, src: SpeakerStats, tgt: SpeakerStats) -> np.ndarray:
    """Log-Gaussian normalised F0 transform: ``exp((ln f0 - mu_s) / sd_s * sd_t + mu_t)`` on voiced frames.

    ``f0: ndarray[N]`` (Hz); unvoiced frames (f0 <= 0) stay 0.
    """
    f0 = np.asarray(f0, dtype=np.float64)
    out = np.zeros_like(f0)
    v = f0 > 0
    out[v] = np.exp((np.log(f0[v]) - src.logf0_mean) / src.logf0_std * tgt.logf0_std + tgt.logf0_mean)
    return out


def normalize_coded_sp(coded_sp: np.ndarray, stats: SpeakerStats) -> np.ndarray:
    """``(coded_sp - sp_mean) / sp_std`` for ``coded_sp: ndarray[N, D]``."""
    _check_dim(coded_sp, stats)
    return (np.asarray(coded_sp) - stats.sp_mean) / stats.sp_std


def denormalize_coded_sp(coded_sp: np.ndarray, stats: SpeakerStats) -> np.ndarray:
    """Inverse of :func:`normalize_coded_sp`."""
    _check_dim(coded_sp, stats)
    return np.asarray(coded_sp) * stats.sp_std + stats.sp_mean


def _check_dim(coded_sp: np.ndarray, stats: SpeakerStats) -> None:
    if np.shape(coded_sp)[-1] != stats.sp_mean.shape[0]:
        raise AudioGanError(
            f"coded envelope has {np.shape(coded_sp)[-1]} dims "
            f"but the statistics have {stats.sp_mean.shape[0]}"
        )


# ---------------------------------------------------------------------------------------------- CLI


def _split(items: list[str], part: int, nparts: int) -> list[str]:
    """Contiguous chunk ``part`` (1-based) of ``nparts``, like Kaldi's split_scp.pl."""
    return [str(a) for a in np.array_split(np.array(items, dtype=object), nparts)[part - 1]]


def _cfg_from_args(args: argparse.Namespace) -> WorldConfig:
    return WorldConfig(
        sample_rate=args.sample_rate,
        frame_period=args.frame_period,
        f0_floor=args.f0_floor,
        f0_ceil=args.f0_ceil,
        f0_method=args.f0_method,
        coded_dim=args.coded_dim,
        fft_size=args.fft_size,
    )


def _cmd_extract(args: argparse.Namespace) -> int:
    datadir = Path(args.datadir)
    outdir = Path(args.outdir) if args.outdir else datadir / "feats"
    cfg = _cfg_from_args(args)
    wavs = read_wav_scp(datadir)
    utts = sorted(wavs)
    if args.part is not None or args.nparts is not None:
        if args.part is None or args.nparts is None or not (1 <= args.part <= args.nparts):
            raise AudioGanError("--part J and --nparts N go together, with 1 <= J <= N")
        utts = _split(utts, args.part, args.nparts)
        scp = outdir / f"feats.{args.part}.scp"
    else:
        scp = datadir / FEATS_SCP
    for utt in utts:  # before hours of analysis, not after
        check_name(utt, f"{datadir}/wav.scp: utterance id")
    feats = extract_many({u: wavs[u] for u in utts}, cfg, jobs=args.jobs, progress=not args.no_progress)
    save_world_config(datadir / WORLD_JSON, cfg)
    write_feats(feats, outdir, scp)
    frames = sum(f["f0"].shape[0] for f in feats.values())
    print(f"{len(feats)} utterances, {frames} frames -> {scp}")
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    datadir = Path(args.datadir)
    outdir = Path(args.outdir) if args.outdir else datadir / "feats"
    merged: dict[str, str] = {}
    for j in range(1, args.nparts + 1):
        merged.update(read_scp(outdir / f"feats.{j}.scp"))
    missing = [u for u in read_wav_scp(datadir) if u not in merged]
    if missing:
        raise DataDirError(
            f"{outdir}: no features for '{missing[0]}' ({len(missing)} missing); did a job fail?"
        )
    _atomic_write_text(datadir / FEATS_SCP, "".join(f"{u} {merged[u]}\n" for u in sorted(merged)))
    print(f"{len(merged)} utterances -> {datadir / FEATS_SCP}")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    datadir = Path(args.datadir)
    index = read_feats_scp(datadir / FEATS_SCP)
    if (datadir / "utt2spk").is_file():
        utt2spk = read_scp(datadir / "utt2spk")
    elif args.spk and len(args.spk) == 1:
        utt2spk = {u: args.spk[0] for u in index}
    else:
        raise DataDirError(
            f"{datadir}: no utt2spk (give exactly one --spk to treat all utterances as one speaker)"
        )
    speakers = sorted(set(utt2spk.values())) if not args.spk else list(args.spk)
    outdir = Path(args.outdir) if args.outdir else datadir / "stats"
    targets = {spk: child_path(outdir, spk, ".json", "speaker id") for spk in speakers}
    for spk in speakers:
        utts = [u for u in index if utt2spk.get(u) == spk]
        if not utts:
            raise DataDirError(f"{datadir}: speaker '{spk}' has no utterances in feats.scp")
        stats = compute_stats(load_utt_feats(index[u]) for u in utts)
        path = stats.save(targets[spk])
        f0_mean = math.exp(stats.logf0_mean)
        print(
            f"{spk}: {len(utts)} utterances, {stats.n_voiced}/{stats.n_frames} voiced frames, "
            f"F0 geometric mean {f0_mean:.1f} Hz -> {path}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    d = WorldConfig()
    p = argparse.ArgumentParser(
        prog="python3 -m audiogan.features.world", description="WORLD feature archive tools."
    )
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    e = sub.add_parser(
        "extract", help="extract f0/coded_sp/coded_ap for every utterance in <datadir>/wav.scp"
    )
    e.add_argument("--datadir", required=True, help="Kaldi-style data dir with wav.scp")
    e.add_argument("--outdir", help="where the .npz files go (default: <datadir>/feats)")
    e.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    e.add_argument(
        "--part", type=int, help="with --nparts: do only chunk J (1-based) -> <outdir>/feats.J.scp"
    )
    e.add_argument("--nparts", type=int, help="number of chunks the utterance list is split into")
    e.add_argument(
        "--sample-rate", type=int, default=d.sample_rate, help="analysis rate; files are resampled"
    )
    e.add_argument("--frame-period", type=float, default=d.frame_period, help="ms (default 5)")
    e.add_argument("--f0-floor", type=float, default=d.f0_floor)
    e.add_argument("--f0-ceil", type=float, default=d.f0_ceil)
    e.add_argument("--f0-method", choices=F0_METHODS, default=d.f0_method)
    e.add_argument("--coded-dim", type=int, default=d.coded_dim)
    e.add_argument("--fft-size", type=int, default=None, help="default: pyworld's for the rate")
    e.add_argument("--no-progress", action="store_true", help="no progress bar")
    e.set_defaults(func=_cmd_extract)

    m = sub.add_parser("merge", help="join <outdir>/feats.{1..N}.scp into <datadir>/feats.scp")
    m.add_argument("--datadir", required=True)
    m.add_argument("--outdir", help="default: <datadir>/feats")
    m.add_argument("--nparts", type=int, required=True)
    m.set_defaults(func=_cmd_merge)

    s = sub.add_parser("stats", help="per-speaker statistics -> <datadir>/stats/<spk>.json")
    s.add_argument("--datadir", required=True, help="data dir with feats.scp (and utt2spk)")
    s.add_argument("--spk", action="append", help="only this speaker (repeatable); default: all in utt2spk")
    s.add_argument("--outdir", help="default: <datadir>/stats")
    s.set_defaults(func=_cmd_stats)
    return p


def main(argv: list[str] | None = None) -> int:
    """Module entry point; user errors print ``audiogan: error: <msg>`` and return 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AudioGanError as e:
        sys.stderr.write(f"audiogan: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("audiogan: interrupted\n")
        return 130


if __name__ == "__main__":
    # Run the imported module's main so worker processes pickle functions by their real module name.
    from audiogan.features import world as _world

    sys.exit(_world.main())
