"""WORLD vocoder features (pyworld): F0, spectral envelope, aperiodicity, coded envelopes and synthesis.

Conventions (all arrays are numpy; ``N`` frames of ``frame_period`` ms, ``F = fft_size // 2 + 1`` bins):

* ``x: ndarray[T]`` float64 mono waveform in [-1, 1) at ``cfg.sample_rate``;
* ``f0: ndarray[N]`` in Hz, 0 on unvoiced frames;
* ``sp: ndarray[N, F]`` CheapTrick power spectral envelope, ``ap: ndarray[N, F]`` D4C aperiodicity in [0, 1];
* ``coded_sp: ndarray[N, D]`` the compact envelope of kind ``cfg.envelope``
  (:mod:`audiogan.features.envelope`): ``"coded"`` (default) WORLD-coded envelope
  (``pyworld.code_spectral_envelope``: mel-warped log envelope compressed to ``D = cfg.coded_dim``
  cepstrum-like coefficients) or ``"mcep"`` SPTK mel-cepstrum c0..c_{D-1} (``pysptk.sp2mc``);
  ``coded_ap: ndarray[N, B]`` band aperiodicity (``B`` depends on the rate, 1 at 16 kHz).

Files written by ``extract`` (``feats.scp`` in the one format of :mod:`audiogan.data.feats`)::

    <datadir>/feats.scp          "<utt-id> <absolute path of feats/feats[.J].npz>:<utt-id>" per line, sorted
    <datadir>/world.json         the WorldConfig the features were made with
    <datadir>/feats/feats.npz    per utterance: f0[N], coded_sp[N, D], coded_ap[N, B] (float32); one
                                 archive per ``--part`` J (feats.J.npz, listed by feats.J.scp)
    <datadir>/stats/<spk>.json   SpeakerStats of each speaker (:mod:`audiogan.features.stats`)

Feature dirs written before (one ``feats/<utt>.npz`` per utterance) are still read.

The per-speaker statistics are in :mod:`audiogan.features.stats`, the feature files in
:mod:`audiogan.features.archive`, the process pool in :mod:`audiogan.jobs`; their names are re-exported
here. Command line (:mod:`audiogan.features.commands`, also ``audiogan features``; used by recipes, one job
per ``--part`` through ``recipes/utils/run.pl``)::

    python3 -m audiogan.features.commands extract --datadir D [--jobs N] [--part J --nparts N]
    python3 -m audiogan.features.commands merge --datadir D --nparts N
    python3 -m audiogan.features.commands stats --datadir D [--spk X ...]
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audiogan.errors import AudioError, AudioGanError, ConfigError, DataDirError
from audiogan.features import envelope as envelopes  # "envelope" is also a WorldConfig field
from audiogan.features.archive import (  # noqa: F401 - re-exported: they lived here
    FEATS_SCP,
    WORLD_JSON,
    load_feats,
    load_utt_feats,
    read_feats_scp,
    read_scp,
    read_wav_scp,
    save_utt_feats,
    write_feats,
)
from audiogan.features.envelope import code_envelope, decode_envelope  # noqa: F401 - re-exported: they lived here
from audiogan.features.stats import (  # noqa: F401 - re-exported: they lived here
    _STD_FLOOR,
    SpeakerStats,
    _check_dim,
    _to_numpy,
    compute_stats,
    convert_f0,
    denormalize_coded_sp,
    normalize_coded_sp,
)
from audiogan.jobs import run_jobs  # noqa: F401 - re-exported: scoring imports it from here
from audiogan.paths import write_text_atomic

# The shortest signal analysed: a few 5 ms frames are not enough for Harvest's F0 tracking to mean anything.
MIN_SECONDS = 0.1
F0_METHODS = ("harvest", "dio")


@dataclass(frozen=True)
class WorldConfig:
    """Analysis settings. ``fft_size=None`` uses pyworld's default for the rate (1024 at 16 kHz).

    ``f0_method``: ``"harvest"`` (robust, ~0.15 s per second of speech) or ``"dio"`` (DIO refined with
    StoneMask, ~30x faster, more voicing errors). ``envelope``: what ``coded_sp`` holds, ``"coded"`` (WORLD)
    or ``"mcep"`` (SPTK mel-cepstrum of order ``coded_dim - 1`` with all-pass constant ``mcep_alpha``; None:
    ``pysptk.util.mcepalpha(sample_rate)``, the scorer's, 0.41 at 16 kHz).
    """

    sample_rate: int = 16000
    frame_period: float = 5.0
    f0_floor: float = 71.0
    f0_ceil: float = 800.0
    f0_method: str = "harvest"
    coded_dim: int = 36
    fft_size: int | None = None
    envelope: str = "coded"
    mcep_alpha: float | None = None

    def __post_init__(self) -> None:
        envelopes.check_envelope(self.envelope, self.mcep_alpha)
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
        for key in ("frame_period", "f0_floor", "f0_ceil", "mcep_alpha"):
            if key in d and isinstance(d[key], int) and not isinstance(d[key], bool):
                d[key] = float(d[key])
        for key in ("frame_period", "f0_floor", "f0_ceil"):
            if key in d and not isinstance(d[key], float):
                raise ConfigError(f"world {key} must be a number, got {d[key]!r}")
        return cls(**d)


def save_world_config(path: str | os.PathLike, cfg: WorldConfig) -> Path:
    write_text_atomic(Path(path), json.dumps(cfg.to_dict(), indent=1) + "\n")
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

    Returns ``{"f0": [N], "coded_sp": [N, cfg.coded_dim], "coded_ap": [N, B]}``, all float32; ``coded_sp``
    of the kind ``cfg.envelope`` (:func:`audiogan.features.envelope.encode`). Training and statistics use
    ``f0`` and ``coded_sp``; conversion re-analyses the source for its full ``ap``.
    """
    x = load_wave(source, cfg) if isinstance(source, str | os.PathLike) else _as_signal(source, cfg)
    feats = analyze(x, cfg)
    return {
        "f0": feats.f0.astype(np.float32),
        "coded_sp": envelopes.encode(feats.sp, cfg).astype(np.float32),
        "coded_ap": code_aperiodicity(feats.ap, cfg.sample_rate).astype(np.float32),
    }


def _extract_job(args: tuple[str, str, dict[str, Any]]) -> tuple[str, dict[str, np.ndarray]]:
    utt, path, cfg = args
    return utt, extract(path, WorldConfig.from_dict(cfg))



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
