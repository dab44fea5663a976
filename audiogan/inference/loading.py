"""Loading for inference, one typed loader per model family, from a checkpoint alone.

Each loader takes a checkpoint file or an experiment dir (its ``best.pt``, else its latest checkpoint),
refuses another family's checkpoint with a one-line :class:`CheckpointError`, rebuilds only the networks
inference needs from the stored config (:func:`audiogan.models.load_for_inference`: memory-mapped, EMA
weights where present, fp16 storage loaded as fp32, eval mode, on the CPU) and reads the inference settings
the task stored in ``extra``. Nothing here imports a task or the trainer.

family        loader                          result
------------  ------------------------------  -----------------------------------------------------------
segan         :func:`load_segan_model`        :class:`SeganModel`: generator, window, pre-emphasis, rate
ctfgan        :func:`load_ctfgan_model`       :class:`CtfganModel`: generator, window, rate
wavegan       :func:`load_wavegan_model`      :class:`WaveGANModel`: generator, latent size, rate, words
specgan       :func:`load_wavegan_model`      the same, with Griffin-Lim inversion (``to_audio``)
cyclegan_vc2  :func:`load_converter_model`    :class:`ConverterModel`: generators, WORLD settings, stats
stargan_vc2   :func:`load_star_converter_model`  :class:`StarConverterModel`: generator, speakers, stats
classifier    :func:`load_classifier_model`   :class:`ClassifierModel`: network, labels, rate, clip length
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import nn

from audiogan.errors import AudioGanError, CheckpointError
from audiogan.models.registry import InferenceBundle, load_for_inference

if TYPE_CHECKING:  # imported where used: WORLD (and pyworld) need not load for the other families
    from audiogan.features import world

# direction -> (generator, source domain, target domain) of a CycleGAN-VC2 checkpoint
DIRECTIONS: dict[str, tuple[str, str, str]] = {"A2B": ("G_AB", "A", "B"), "B2A": ("G_BA", "B", "A")}


@dataclass(kw_only=True)
class LoadedModel:
    """What every loaded checkpoint carries besides its networks."""

    path: Path  # the checkpoint file actually read
    step: int  # generator updates it was trained for
    config: dict[str, Any]  # the full training config
    extra: dict[str, Any]  # the task's inference state


def _common(bundle: InferenceBundle) -> dict[str, Any]:
    return {"path": bundle.path, "step": bundle.step, "config": bundle.config, "extra": dict(bundle.extra)}


@dataclass(kw_only=True)
class SeganModel(LoadedModel):
    """A SEGAN generator and the settings it was trained with.

    ``generator(x: Tensor[N, 1, window], z) -> Tensor[N, 1, window]`` at ``sample_rate``, on pre-emphasised
    audio (coefficient ``preemph``); ``z`` comes from ``generator.sample_z``.
    """

    generator: nn.Module
    window: int
    preemph: float
    sample_rate: int


def load_segan_model(checkpoint: str | os.PathLike) -> SeganModel:
    """The generator of a SEGAN checkpoint. Memory-lean: optimizer states and the discriminator never reach
    memory (for SEGAN+ this keeps `audiogan denoise` under 1 GB)."""
    bundle = load_for_inference(checkpoint, tasks=("segan",), names=("generator",))
    extra, config = bundle.extra, bundle.config
    try:
        window = int(extra.get("window", config["model"]["window"]))
        preemph = float(extra.get("preemph", config["data"]["preemph"]))
        sample_rate = int(extra.get("sample_rate", 16000))  # SEGAN's rate; older checkpoints omit it
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{bundle.path}: lacks the SEGAN window/pre-emphasis settings") from None
    return SeganModel(
        generator=bundle.networks["generator"], window=window, preemph=preemph, sample_rate=sample_rate,
        **_common(bundle),
    )


@dataclass(kw_only=True)
class CtfganModel(LoadedModel):
    """A ctfgan generator: ``generator(x: Tensor[N, T] or Tensor[N, 1, T]) -> same shape`` at
    ``sample_rate``, any ``T``; inference runs it on windows of ``window`` samples."""

    generator: nn.Module
    window: int
    sample_rate: int


CTFGAN_WINDOW_SECONDS = 4.0  # inference window when a checkpoint does not name one


def load_ctfgan_model(checkpoint: str | os.PathLike) -> CtfganModel:
    """The generator of a ctfgan checkpoint (EMA weights when it has them)."""
    bundle = load_for_inference(checkpoint, tasks=("ctfgan",), names=("generator",))
    try:
        sample_rate = int(bundle.extra.get("sample_rate", 16000))
        window = int(bundle.extra.get("window", CTFGAN_WINDOW_SECONDS * sample_rate))
    except (TypeError, ValueError):
        raise CheckpointError(f"{bundle.path}: lacks a usable ctfgan sample rate / window") from None
    return CtfganModel(generator=bundle.networks["generator"], window=window + window % 2,
                       sample_rate=sample_rate, **_common(bundle))


@dataclass(kw_only=True)
class WaveGANModel(LoadedModel):
    """A WaveGAN or SpecGAN generator: ``z: Tensor[N, latent_dim]`` (uniform in [-1, 1]; plus
    ``labels: Tensor[N]``, indices into ``labels``, when conditional) -> ``Tensor[N, 1, T]`` at
    ``sample_rate``, through ``to_audio`` (SpecGAN's Griffin-Lim inversion) when it is set."""

    generator: nn.Module
    latent_dim: int
    sample_rate: int
    labels: list[str] = field(default_factory=list)  # the words of a conditional model; [] unconditional
    to_audio: nn.Module | None = None
    family: str = "wavegan"


def load_wavegan_model(checkpoint: str | os.PathLike) -> WaveGANModel:
    """The generator of a WaveGAN or SpecGAN checkpoint (EMA weights when it has them)."""
    bundle = load_for_inference(checkpoint, tasks=("wavegan", "specgan"), names=("generator",))
    generator, extra = bundle.networks["generator"], bundle.extra
    try:
        sample_rate = int(extra.get("sample_rate", bundle.config["data"]["sample_rate"]))
        labels = [str(w) for w in extra.get("labels", [])]  # absent before conditioning: unconditional
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{bundle.path}: lacks the WaveGAN sample rate") from None
    if len(labels) != getattr(generator, "num_classes", 0):
        raise CheckpointError(f"{bundle.path}: its {len(labels)} labels do not match the generator's classes")
    to_audio = None
    if bundle.task == "specgan":
        from audiogan.models.specgan import SpecInverter

        try:
            iters = int(extra.get("griffin_lim_iters", 32))
            to_audio = SpecInverter(extra["spec_mean"], extra["spec_std"], iters)
        except (KeyError, TypeError, ValueError, RuntimeError):
            raise CheckpointError(f"{bundle.path}: lacks SpecGAN's spectrogram statistics") from None
    return WaveGANModel(
        generator=generator, latent_dim=int(generator.latent_dim), sample_rate=sample_rate, labels=labels,
        to_audio=to_audio, family=bundle.task, **_common(bundle),
    )


@dataclass(kw_only=True)
class ConverterModel(LoadedModel):
    """CycleGAN-VC2 generators with the WORLD settings and per-speaker statistics they were trained with.

    ``generators[direction](coded_sp: Tensor[B, D, N]) -> Tensor[B, D, N]`` maps the source domain's
    normalised coded envelope to the target's (:data:`DIRECTIONS`); only the directions asked for are loaded.
    """

    generators: dict[str, nn.Module]  # "A2B" / "B2A"
    world_config: world.WorldConfig
    stats: dict[str, world.SpeakerStats]  # "A" / "B"
    speakers: dict[str, str]  # "A" / "B" -> the training speakers' names (the domain letter when unknown)


def load_converter_model(
    checkpoint: str | os.PathLike, directions: Sequence[str] = ("A2B", "B2A")
) -> ConverterModel:
    """The generators of a ``cyclegan_vc2`` checkpoint for ``directions`` (``A2B``, ``B2A``)."""
    from audiogan.features import world

    for d in directions:
        if d not in DIRECTIONS:
            raise AudioGanError(f"direction must be A2B or B2A, got '{d}'")
    names = tuple(DIRECTIONS[d][0] for d in directions)
    bundle = load_for_inference(checkpoint, tasks=("cyclegan_vc2",), names=names)
    extra = bundle.extra or {}
    try:
        wcfg = world.WorldConfig.from_dict(extra["world"])
        stats = {k: world.SpeakerStats.from_dict(v) for k, v in extra["stats"].items()}
        stats = {"A": stats["A"], "B": stats["B"]}
    except (KeyError, TypeError, AudioGanError) as e:
        raise CheckpointError(f"{bundle.path}: holds no usable speaker statistics ({e})") from None
    known = extra.get("speakers") or {}
    return ConverterModel(
        generators={d: bundle.networks[DIRECTIONS[d][0]] for d in directions},
        world_config=wcfg,
        stats=stats,
        speakers={k: str(known.get(k, k)) for k in ("A", "B")},
        **_common(bundle),
    )


@dataclass(kw_only=True)
class StarConverterModel(LoadedModel):
    """A StarGAN-VC2 many-to-many generator with the WORLD settings and every training speaker's statistics.

    ``generator(coded_sp: Tensor[B, D, N], src: LongTensor[B], tgt: LongTensor[B]) -> Tensor[B, D, N]`` maps
    normalised coded envelopes of speaker ``speakers[src]`` to ``speakers[tgt]``.
    """

    generator: nn.Module
    world_config: world.WorldConfig
    speakers: list[str]  # in the generator's code order
    stats: dict[str, world.SpeakerStats]  # speaker name -> statistics


def load_star_converter_model(checkpoint: str | os.PathLike) -> StarConverterModel:
    """The generator, speakers and statistics of a ``stargan_vc2`` checkpoint."""
    from audiogan.features import world

    bundle = load_for_inference(checkpoint, tasks=("stargan_vc2",), names=("generator",))
    extra = bundle.extra or {}
    try:
        wcfg = world.WorldConfig.from_dict(extra["world"])
        speakers = [str(s) for s in extra["speakers"]]
        stats = {s: world.SpeakerStats.from_dict(extra["stats"][s]) for s in speakers}
    except (KeyError, TypeError, AudioGanError) as e:
        raise CheckpointError(f"{bundle.path}: holds no usable speaker statistics ({e})") from None
    return StarConverterModel(generator=bundle.networks["generator"], world_config=wcfg, speakers=speakers,
                              stats=stats, **_common(bundle))


def peek_checkpoint(checkpoint: str | os.PathLike) -> tuple[str, dict[str, Any]]:
    """``(family, extra)`` of a checkpoint, read without loading or verifying its tensors (memory-mapped),
    so a command can pick the loader first; an unreadable file is the loaders' one-line CheckpointError."""
    import torch

    from audiogan import checkpoint as ckpt

    path = ckpt.resolve(checkpoint)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        return str(state["task"]), dict(state.get("extra") or {})
    except Exception:
        state = ckpt.load(path, mmap=True)  # raises the CheckpointError that says what is wrong
        return str(state.get("task", "")), dict(state.get("extra") or {})


def model_speakers(checkpoint: str | os.PathLike) -> list[str]:
    """The speaker names a voice-conversion checkpoint converts between (CycleGAN-VC2: its A and B;
    StarGAN-VC2: all of them, in code order); [] for other families."""
    family, extra = peek_checkpoint(checkpoint)
    known = extra.get("speakers") or {}
    if family == "cyclegan_vc2":
        return [str(known.get(k, k)) for k in ("A", "B")]
    if family == "stargan_vc2":
        return [str(s) for s in known]
    return []


def model_words(checkpoint: str | os.PathLike) -> list[str]:
    """The words a conditional WaveGAN/SpecGAN checkpoint generates (``--word``); [] when unconditional."""
    family, extra = peek_checkpoint(checkpoint)
    return [str(w) for w in extra.get("labels") or []] if family in ("wavegan", "specgan") else []


@dataclass(kw_only=True)
class ClassifierModel(LoadedModel):
    """An evaluation classifier: ``net(x: Tensor[N, 1, clip_len]) -> logits: Tensor[N, len(labels)]`` at
    ``sample_rate``; ``net.embed(x) -> Tensor[N, E]``."""

    net: nn.Module
    labels: list[str]
    sample_rate: int
    clip_len: int


def load_classifier_model(checkpoint: str | os.PathLike) -> ClassifierModel:
    """The network, class labels and input format of a ``classifier`` checkpoint."""
    bundle = load_for_inference(checkpoint, tasks=("classifier",), names=("classifier",))
    extra = bundle.extra
    try:
        labels, sr, clip_len = list(extra["labels"]), int(extra["sample_rate"]), int(extra["clip_len"])
    except (KeyError, TypeError, ValueError):
        what = "the classifier's labels, sample rate or clip length"
        raise CheckpointError(f"{bundle.path}: lacks {what}") from None
    return ClassifierModel(
        net=bundle.networks["classifier"], labels=labels, sample_rate=sr, clip_len=clip_len, **_common(bundle)
    )
