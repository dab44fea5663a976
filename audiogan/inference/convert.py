"""Voice conversion with WORLD (CycleGAN-VC2 or StarGAN-VC2), streamed in overlapping blocks for long inputs.

Per utterance: WORLD analysis (F0, CheapTrick envelope, D4C aperiodicity) at the model's rate; F0 by the
log-Gaussian normalised transform with the two speakers' statistics; the coded envelope is normalised with the
source statistics, run through the generator, de-normalised with the target statistics and decoded; the
aperiodicity is copied from the source; WORLD synthesis at the model's rate.

Everything comes from the checkpoint: the generators, the WORLD settings the model was trained with and the
per-speaker statistics (``CycleGANVC2Task.inference_state()``, ``StarGANVC2Task.inference_state()``). The
family decides the generator call (:func:`load_voice_converter`): a CycleGAN-VC2 direction is one of its two
generators, a StarGAN-VC2 (source, target) pair its one generator with that pair's speaker code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from audiogan import audio
from audiogan.errors import AudioGanError
from audiogan.features import envelope, world
from audiogan.inference import outputs
from audiogan.inference.loading import (
    DIRECTIONS,
    ConverterModel,
    StarConverterModel,
    load_converter_model,
    load_star_converter_model,
    peek_checkpoint,
)

VC_FAMILIES = ("cyclegan_vc2", "stargan_vc2")

# Frames whose envelope power is below this (dB re full scale) are digital silence, far below any recorded
# background (16-bit quantisation noise is about -100 dB). The generator never saw such frames and would turn
# them into noise, so they keep the source envelope and stay silent.
SILENCE_DB = -120.0


@dataclass
class VoiceConverter:
    """One conversion direction.

    ``generator`` maps normalised ``coded_sp: Tensor[B, D, N]`` of speaker ``src`` to speaker ``tgt``.
    """

    generator: nn.Module
    world_config: world.WorldConfig
    src: world.SpeakerStats
    tgt: world.SpeakerStats
    device: torch.device = torch.device("cpu")
    speakers: tuple[str, str] = ("A", "B")  # (source, target) names from training, for messages

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, direction: str = "A2B",
                        device: str = "cpu") -> VoiceConverter:
        """Rebuild a converter from a ``cyclegan_vc2`` checkpoint (file or experiment dir) alone."""
        return cls.from_model(load_converter_model(path, (direction,)), direction, device)

    @classmethod
    def from_model(cls, model: ConverterModel, direction: str = "A2B", device: str = "cpu") -> VoiceConverter:
        """One direction of a loaded :class:`ConverterModel` (see :func:`load_converter_model`)."""
        if direction not in DIRECTIONS:
            raise AudioGanError(f"direction must be A2B or B2A, got '{direction}'")
        if direction not in model.generators:
            raise AudioGanError(f"{model.path}: its {direction} generator was not loaded")
        _, src, tgt = DIRECTIONS[direction]
        dev = torch.device(device)
        generator = model.generators[direction].to(dev).eval()
        speakers = (model.speakers[src], model.speakers[tgt])
        return cls(generator, model.world_config, model.stats[src], model.stats[tgt], dev, speakers)

    @classmethod
    def from_star_model(cls, model: StarConverterModel, source: str, target: str,
                        device: str = "cpu") -> VoiceConverter:
        """The ``source -> target`` direction of a loaded StarGAN-VC2 model (speaker names of training)."""
        from audiogan.models.stargan_vc2 import SpeakerPairGenerator

        for role, name in (("source", source), ("target", target)):
            if name not in model.speakers:
                raise AudioGanError(f"unknown {role} speaker '{name}' (this model's speakers: "
                                    f"{', '.join(model.speakers)})")
        dev = torch.device(device)
        net = SpeakerPairGenerator(model.generator.to(dev).eval(), model.speakers.index(source),
                                   model.speakers.index(target))
        return cls(net, model.world_config, model.stats[source], model.stats[target], dev, (source, target))

    @property
    def sample_rate(self) -> int:
        return int(self.world_config.sample_rate)

    @torch.no_grad()
    def convert_coded_sp(self, coded_sp: np.ndarray) -> np.ndarray:
        """``coded_sp: ndarray[N, D]`` of the source speaker -> ``ndarray[N, D]`` in the target's space."""
        norm = world.normalize_coded_sp(coded_sp, self.src)
        x = torch.from_numpy(np.ascontiguousarray(norm.T, dtype=np.float32))[None]  # [1, D, N]
        x = x.to(self.device)
        # the generator pads frames (and dims) to a multiple of 4 itself and trims back
        y = self.generator(x)[0].T.double().cpu().numpy()
        return world.denormalize_coded_sp(y, self.tgt)

    def convert(self, x: np.ndarray) -> np.ndarray:
        """Convert ``x: ndarray[T]`` (mono, at :attr:`sample_rate`) -> ``ndarray[T]`` float32."""
        cfg = self.world_config
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        feats = world.analyze(x, cfg)
        coded = envelope.encode(feats.sp, cfg)  # WORLD's coded envelope or mel-cepstra, as the model trained
        sp = envelope.decode(self.convert_coded_sp(coded), cfg)
        silent = 10.0 * np.log10(np.maximum(feats.sp.mean(axis=1), 1e-30)) < SILENCE_DB
        sp[silent] = feats.sp[silent]
        f0 = world.convert_f0(feats.f0, self.src, self.tgt)
        y = world.synthesize(f0, sp, feats.ap, cfg.sample_rate, cfg.frame_period)
        y = y[: x.shape[0]] if y.shape[0] >= x.shape[0] else np.pad(y, (0, x.shape[0] - y.shape[0]))
        return y.astype(np.float32)


def load_voice_converter(checkpoint: str | os.PathLike, *, direction: str | None = None,
                         source: str | None = None, target: str | None = None,
                         device: str = "cpu") -> VoiceConverter:
    """A converter from a ``cyclegan_vc2`` or ``stargan_vc2`` checkpoint, for ``direction`` (A2B/B2A) or the
    ``source``/``target`` speaker names. On a CycleGAN-VC2 model the names must be its two speakers (they
    pick the direction; default A2B); a StarGAN-VC2 model needs both names. Mistakes are one-line errors
    listing the model's speakers."""
    if direction is not None and (source or target):
        raise AudioGanError("give either --direction or --source/--target, not both")
    if bool(source) != bool(target):
        raise AudioGanError("--source and --target go together (name both speakers)")
    from audiogan.checkpoint import resolve

    family, extra = peek_checkpoint(checkpoint)
    if family not in VC_FAMILIES:  # the loaders' message, naming both families
        raise AudioGanError(f"{resolve(checkpoint)}: is a '{family}' checkpoint, this command needs "
                            f"{' or '.join(VC_FAMILIES)}")
    if family == "stargan_vc2":
        speakers = ", ".join(str(s) for s in extra.get("speakers") or [])
        if direction is not None or not source:
            raise AudioGanError(f"a many-to-many (stargan_vc2) model needs --source and --target instead of "
                                f"--direction (this model's speakers: {speakers})")
        return VoiceConverter.from_star_model(load_star_converter_model(checkpoint), source, target, device)
    if source:
        known = extra.get("speakers") or {}
        a, b = (str(known.get(k, k)) for k in ("A", "B"))
        pairs = {(a, b): "A2B", (b, a): "B2A"}
        if (source, target) not in pairs:
            raise AudioGanError(f"this CycleGAN-VC2 model converts only between {a} (A) and {b} (B); "
                                f"got --source {source} --target {target}")
        direction = pairs[source, target]
    direction = direction or "A2B"
    return VoiceConverter.from_model(load_converter_model(checkpoint, (direction,)), direction, device)


# Streaming: inputs longer than one block are converted in blocks of about BLOCK_SECONDS that overlap by
# OVERLAP_SECONDS and are cross-faded linearly there, so memory stays flat in the input's length. WORLD's F0
# and envelope are frame-local (a few tens of ms), so a 1 s overlap hides the block edges; the block is long
# enough that the generator sees whole phrases, as in training (128-frame crops = 0.64 s).
BLOCK_SECONDS = 20.0
OVERLAP_SECONDS = 1.0
RESAMPLE_MARGIN_SECONDS = 0.05  # extra input read around each block so resampling has no edge effects


def block_plan(total: int, block: int, overlap: int) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` output-sample spans covering ``[0, total)``: equal blocks of about ``block``
    samples, each overlapping the next by ``overlap`` (one span when ``total <= block``)."""
    if total <= block:
        return [(0, total)]
    n = -(-(total - overlap) // (block - overlap))  # ceil
    hop = (total - overlap) / n
    edges = [round(i * hop) for i in range(n + 1)]
    return [(edges[i], min(total, edges[i + 1] + overlap)) for i in range(n)]


def convert_stream(
    converter: VoiceConverter,
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    block_seconds: float = BLOCK_SECONDS,
    overlap_seconds: float = OVERLAP_SECONDS,
    notice: bool = True,
) -> Path:
    """Convert the file ``src`` into ``dst`` (mono, the model's rate) block by block; returns ``dst``.

    Two passes over the output, so a converted signal louder than full scale is scaled down as a whole
    (like :func:`audiogan.audio.save`) instead of being clipped: blocks go to a float temporary file first.
    """
    sr = converter.sample_rate
    meta = audio.info(src)
    total = round(meta.frames * sr / meta.sample_rate)
    block, overlap = round(block_seconds * sr), round(overlap_seconds * sr)
    spans = block_plan(total, block, overlap)
    if notice:
        _note_changes(src, meta, sr)
    dst = Path(dst)
    margin = round(RESAMPLE_MARGIN_SECONDS * meta.sample_rate) if meta.sample_rate != sr else 0
    tmp = dst.with_name(f".{dst.stem}.convert-tmp.wav")
    peak, tail = 0.0, np.zeros(0, np.float32)
    try:
        with audio.AudioWriter(tmp, sr, channels=1, subtype="FLOAT") as w:
            for k, (a, b) in enumerate(spans):
                y = converter.convert(_read_span(src, meta, a, b, sr, margin))
                fade_in = overlap if k > 0 else 0
                if fade_in:
                    ramp = (np.arange(fade_in, dtype=np.float32) + 0.5) / fade_in
                    y[:fade_in] = tail * (1.0 - ramp) + y[:fade_in] * ramp
                keep = len(y) - overlap if k < len(spans) - 1 else len(y)
                w.write(y[None, :keep])
                peak = max(peak, float(np.abs(y[:keep]).max()) if keep else 0.0)
                tail = y[keep:].copy()
        scale = np.float32(0.999 / peak) if peak > 0.999 else np.float32(1.0)
        with audio.AudioWriter(dst, sr, channels=1) as w:
            for x in audio.iter_blocks(tmp, 1 << 18):
                w.write(x * scale)
    finally:
        tmp.unlink(missing_ok=True)
    return dst


def _read_span(src, meta, a: int, b: int, sr: int, margin: int) -> np.ndarray:
    """Output samples ``[a, b)`` of ``src`` as ``ndarray[b - a]`` float64: mono, at ``sr``."""
    if meta.sample_rate == sr:
        x, _ = audio.load(src, mono=True, start=a, frames=b - a)
        return x[0].astype(np.float64)
    r = meta.sample_rate / sr
    s0 = max(0, int(a * r) - margin)
    s1 = min(meta.frames, int(np.ceil(b * r)) + margin)
    x, _ = audio.load(src, mono=True, start=s0, frames=s1 - s0)
    y = audio.resample(x, meta.sample_rate, sr)[0]
    off = round(a - s0 / r)  # where output sample a falls in the resampled piece
    y = y[off : off + (b - a)]
    return np.pad(y, (0, b - a - len(y))).astype(np.float64)


def load_mono(path: str | os.PathLike, sample_rate: int, notice: bool = True) -> np.ndarray:
    """Read ``path`` as ``ndarray[T]`` at ``sample_rate``; other rates are resampled and several channels are
    averaged, with a one-line notice on stderr."""
    meta = audio.info(path)
    x, _ = audio.load(path, sample_rate=sample_rate, mono=True)
    if notice:
        _note_changes(path, meta, sample_rate)
    return x[0]


def _note_changes(path: str | os.PathLike, meta: audio.AudioInfo, sample_rate: int) -> None:
    """One stderr line when an input is downmixed or resampled on the way in."""
    changes = []
    if meta.channels > 1:
        changes.append(f"downmixed {meta.channels} channels to mono")
    if meta.sample_rate != sample_rate:
        changes.append(f"resampled {meta.sample_rate} -> {sample_rate} Hz")
    if changes:
        print(f"audiogan: note: {path}: {', '.join(changes)}", file=sys.stderr)


def plan_outputs(inputs: Sequence[str | os.PathLike], outdir: str | os.PathLike) -> list[tuple[Path, Path]]:
    """``(input file, output .wav)`` pairs (:func:`audiogan.inference.outputs.plan_outputs`, WAV out)."""
    return [(j.src, j.dst) for j in outputs.plan_outputs(inputs, outdir, keep_format=False)]


def convert_files(converter: VoiceConverter, inputs: Sequence[str | os.PathLike], outdir: str | os.PathLike,
                  progress: bool = True) -> list[Path]:
    """Convert every audio file of ``inputs`` (files or folders) into ``outdir``; returns the written paths.

    All inputs are checked (readable audio) before anything is converted, so a bad file fails fast.
    """
    from tqdm import tqdm

    pairs = plan_outputs(inputs, outdir)
    for f, _ in pairs:  # every file checked before the first is written: a bad one never stops a batch
        meta = audio.info(f)
        if meta.frames < world.MIN_SECONDS * meta.sample_rate:
            raise AudioGanError(f"{f}: too short to convert ({meta.frames / meta.sample_rate:.3f} s; "
                                f"WORLD analysis needs {world.MIN_SECONDS} s)")
    written = []
    for f, out in tqdm(pairs, desc="convert", unit="file", disable=not progress or None, file=sys.stderr):
        try:
            written.append(convert_stream(converter, f, out))
        except AudioGanError as e:
            done = f" ({len(written)} of {len(pairs)} file(s) were written before it)"
            done = done if len(pairs) > 1 else ""
            message = str(e) if str(f) in str(e) else f"{f}: {e}"
            raise AudioGanError(message + done) from None
    return written
