"""Model families: each family's networks built from a config alone, and rebuilt from a checkpoint.

``build(family, config)`` gives the networks inference needs (see :data:`INFERENCE_NETWORKS`);
``discriminators=True`` adds the ones only training uses. A task's ``build_networks`` is
``build(name, config, discriminators=True)``, so training and inference always build the same networks
from the same config, and the config checks (and their messages) live here, once.

:func:`load_for_inference` rebuilds a checkpoint's networks from the config stored in it and loads their
weights: no recipe, no task, no trainer. :mod:`audiogan.inference.loading` wraps it in one typed loader
per family.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiogan.errors import AudioGanError, CheckpointError, ConfigError

if TYPE_CHECKING:
    from torch import nn

# Importing this module loads neither torch nor any network (`audiogan --help` stays fast): model modules,
# torch and the checkpoint format are imported where they are used.

# family -> the networks inference needs (what `audiogan export` keeps). The toy family (the trainer's
# smoke test) builds too but has no inference command.
INFERENCE_NETWORKS: dict[str, tuple[str, ...]] = {
    "segan": ("generator",),
    "wavegan": ("generator",),
    "specgan": ("generator",),
    "cyclegan_vc2": ("G_AB", "G_BA"),
    "stargan_vc2": ("generator",),
    "classifier": ("classifier",),
    "ctfgan": ("generator",),
}


def _segan(config: dict[str, Any], discriminators: bool) -> dict[str, nn.Module]:
    from audiogan.models.segan import MODEL_DEFAULTS, build_discriminator, build_generator, check_model_config

    # keys added later (d_activation, ...) take their defaults, so older checkpoints still build
    model = {**MODEL_DEFAULTS, **config["model"]}
    try:
        check_model_config(model)
        nets: dict[str, nn.Module] = {"generator": build_generator(model)}
        if discriminators:
            nets["discriminator"] = build_discriminator(model)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    return nets


def _ctfgan(config: dict[str, Any], discriminators: bool) -> dict[str, nn.Module]:
    from audiogan.models.ctfgan import MODEL_DEFAULTS, build_generator, check_model_config

    model = {**MODEL_DEFAULTS, **config["model"]}
    try:
        check_model_config(model)
        nets: dict[str, nn.Module] = {"generator": build_generator(model)}
        if discriminators:
            from audiogan.models.metric_discriminator import MetricDiscriminator, SpectralDiscriminators

            nets["discriminator"] = MetricDiscriminator(int(model["disc_channels"]))
            if model["spectral_discriminators"]:
                nets["spectral"] = SpectralDiscriminators(
                    model["spectral_resolutions"], int(model["spectral_channels"]), float(model["compress"]))
    except ValueError as e:
        raise ConfigError(str(e)) from None
    return nets


def _wavegan(config: dict[str, Any], discriminators: bool) -> dict[str, nn.Module]:
    from audiogan.models.wavegan import SLICE_LENS, UPSAMPLE_MODES, WaveGANDiscriminator, WaveGANGenerator

    m = config["model"]
    if m["slice_len"] not in SLICE_LENS:
        raise ConfigError(f"model.slice_len must be one of {SLICE_LENS}, got {m['slice_len']}")
    if m["upsample"] not in UPSAMPLE_MODES:
        raise ConfigError(f"model.upsample must be one of {UPSAMPLE_MODES}, got '{m['upsample']}'")
    if m["dim"] < 1 or m["latent_dim"] < 1 or m["phase_shuffle"] < 0 or m["post_proc_taps"] < 0:
        raise ConfigError("model.dim and model.latent_dim must be >= 1, phase_shuffle/post_proc_taps >= 0")
    classes, embed = _classes(m)
    nets: dict[str, nn.Module] = {
        "generator": WaveGANGenerator(
            m["slice_len"],
            m["dim"],
            m["latent_dim"],
            m["kernel_size"],
            upsample=m["upsample"],
            batchnorm=m["batchnorm"],
            post_proc_taps=m["post_proc_taps"],
            num_classes=classes,
            embed_dim=embed,
        )
    }
    if discriminators:
        nets["discriminator"] = WaveGANDiscriminator(
            m["slice_len"],
            m["dim"],
            m["kernel_size"],
            phase_shuffle=m["phase_shuffle"],
            batchnorm=m["batchnorm"],
            num_classes=classes,
        )
    return nets


def _classes(m: dict[str, Any]) -> tuple[int, int]:
    """(num_classes, embed_dim) of a WaveGAN/SpecGAN model section; checkpoints from before conditioning
    lack the keys and are unconditional."""
    classes, embed, labels = m.get("num_classes", 0), m.get("embed_dim", 0), m.get("labels", [])
    if classes < 0 or (classes and embed < 1):
        raise ConfigError("model.num_classes must be >= 0 (0: unconditional) and model.embed_dim >= 1")
    if labels and len(labels) != classes:
        raise ConfigError(f"model.labels names {len(labels)} classes but model.num_classes is {classes}")
    return classes, embed


def _specgan(config: dict[str, Any], discriminators: bool) -> dict[str, nn.Module]:
    from audiogan.models.specgan import SpecGANDiscriminator, SpecGANGenerator

    m = config["model"]
    if m["dim"] < 1 or m["latent_dim"] < 1 or m["kernel_size"] < 2:
        raise ConfigError("model.dim and model.latent_dim must be >= 1 and model.kernel_size >= 2")
    classes, embed = _classes(m)
    nets: dict[str, nn.Module] = {
        "generator": SpecGANGenerator(
            m["dim"], m["latent_dim"], m["kernel_size"], m["batchnorm"], classes, embed
        )
    }
    if discriminators:
        nets["discriminator"] = SpecGANDiscriminator(
            m["dim"], m["kernel_size"], m["batchnorm"], num_classes=classes
        )
    return nets


def _cyclegan_vc2(config: dict[str, Any], discriminators: bool) -> dict[str, nn.Module]:
    from audiogan.models.cyclegan_vc2 import Generator2to1to2D, PatchDiscriminator

    m = config["model"]
    g, d = m["generator"], m["discriminator"]

    def gen() -> nn.Module:
        return Generator2to1to2D(m["feature_dim"], g["channels"], g["down_channels"], g["res_channels"],
                                 g["res_hidden_channels"], g["num_residual"])

    nets: dict[str, nn.Module] = {"G_AB": gen(), "G_BA": gen()}
    if discriminators:
        for name in ("D_A", "D_B", "D2_A", "D2_B"):
            nets[name] = PatchDiscriminator(d["channels"], final_kernel=d["final_kernel"])
    return nets


def _stargan_vc2(config: dict[str, Any], discriminators: bool) -> dict[str, nn.Module]:
    from audiogan.models.stargan_vc2 import ProjectionDiscriminator, StarGenerator2to1to2D

    m = config["model"]
    g, d, n = m["generator"], m["discriminator"], len(m["speakers"])
    if n < 2:
        raise ConfigError("model.speakers must name at least 2 speakers (filled from the data when training)")
    try:
        nets: dict[str, nn.Module] = {"generator": StarGenerator2to1to2D(
            n, m["feature_dim"], g["channels"], g["down_channels"], g["res_channels"],
            g["res_hidden_channels"], g["num_residual"], g.get("condition", "pair"))}
        if discriminators:
            nets["discriminator"] = ProjectionDiscriminator(n, d["channels"], final_kernel=d["final_kernel"],
                                                            pooling=d.get("pooling", "sum"))
    except ValueError as e:
        raise ConfigError(f"model: {e}") from None
    return nets


def _classifier(config: dict[str, Any], discriminators: bool) -> dict[str, nn.Module]:
    from audiogan.models.classifier import SpectrogramCNN

    m = config["model"]
    if len(m["labels"]) < 2:
        raise ConfigError("model.labels must name at least 2 classes (filled from the data when training)")
    if m.get("freq_masks", 0) < 0 or m.get("time_masks", 0) < 0:
        raise ConfigError("model.freq_masks and model.time_masks must be >= 0 (0: no SpecAugment)")
    net = SpectrogramCNN(
        len(m["labels"]),
        config["data"]["sample_rate"],
        m["width"],
        m["n_mels"],
        m["n_fft"],
        m["hop_length"],
        m["dropout"],
        freq_masks=m.get("freq_masks", 0),  # absent from checkpoints before augmentation
        time_masks=m.get("time_masks", 0),
    )
    return {"classifier": net}  # supervised: no discriminator


def _toy(config: dict[str, Any], discriminators: bool) -> dict[str, nn.Module]:
    from audiogan.models.toy import mlp

    m = config["model"]
    dim = len(config["data"]["means"][0])
    nets: dict[str, nn.Module] = {"generator": mlp(m["latent_dim"], m["hidden"], dim)}
    if discriminators:
        nets["discriminator"] = mlp(dim, m["hidden"], 1)
    return nets


_BUILDERS: dict[str, Callable[[dict[str, Any], bool], dict[str, nn.Module]]] = {
    "toy": _toy,
    "segan": _segan,
    "cyclegan_vc2": _cyclegan_vc2,
    "stargan_vc2": _stargan_vc2,
    "wavegan": _wavegan,
    "specgan": _specgan,
    "classifier": _classifier,
    "ctfgan": _ctfgan,
}
FAMILIES: tuple[str, ...] = tuple(_BUILDERS)


def _builder(family: str) -> Callable[[dict[str, Any], bool], dict[str, nn.Module]]:
    if family not in _BUILDERS:
        raise AudioGanError(f"unknown model '{family}' (choose from: {', '.join(sorted(_BUILDERS))})")
    return _BUILDERS[family]


def build(family: str, config: dict[str, Any], *, discriminators: bool = False) -> dict[str, nn.Module]:
    """``{name: nn.Module}`` of ``family`` from a full config (``config["model"]``, and ``config["data"]``
    where the networks depend on it), freshly initialised on the current default device.

    Only the inference networks unless ``discriminators``. An invalid model section is a ConfigError; an
    unknown family an AudioGanError.
    """
    return _builder(family)(config, discriminators)


@dataclass
class InferenceBundle:
    """What a checkpoint alone gives for inference."""

    task: str  # the family
    config: dict[str, Any]
    networks: dict[str, nn.Module]  # built, weights loaded (EMA where present), eval mode, on CPU
    extra: dict[str, Any]
    step: int
    path: Path


def load_for_inference(
    path: str | os.PathLike, tasks: tuple[str, ...] | None = None, names: tuple[str, ...] | None = None
) -> InferenceBundle:
    """Rebuild the networks of a checkpoint (file or experiment dir) from its stored config alone.

    ``tasks`` restricts which families are accepted (mismatch -> CheckpointError); ``names`` limits which
    networks are built and loaded (e.g. only the generator; default: all of the family's networks).
    Memory-lean: the file is memory-mapped and the networks are built on the meta device, so tensors that
    are not asked for (discriminators, optimizer states) never reach memory.
    """
    import torch

    from audiogan import checkpoint as ckpt

    path = ckpt.resolve(path)
    state = ckpt.load(path, mmap=True)
    family = state.get("task", "")
    if tasks is not None and family not in tasks:
        want = " or ".join(tasks)
        raise CheckpointError(f"{path}: is a '{family}' checkpoint, this command needs {want}")
    _builder(family)
    config = state["config"]
    full = names is None or not set(names) <= set(INFERENCE_NETWORKS.get(family, ()))
    sources = [state.get("ema", {}).get(n) or state["networks"].get(n) or {} for n in names or ()]
    elements = sum(t.numel() for w in sources for t in w.values()) if names else None
    try:
        nets = _build_lean(family, config, full, elements)
    except Exception as e:
        raise CheckpointError(f"{path}: cannot rebuild the networks from its config ({e})") from None
    out = {}
    for name in names or tuple(nets):
        if name not in nets:
            raise CheckpointError(f"{path}: has no network '{name}'")
        weights = state.get("ema", {}).get(name) or state["networks"].get(name)
        if weights is None:
            raise CheckpointError(f"{path}: holds no weights for '{name}'")
        net = nets[name]
        try:
            net.load_state_dict(weights, assign=True)
            if any(t.is_meta for t in [*net.parameters(), *net.buffers()]):
                # a tensor the checkpoint does not carry (a non-persistent buffer): build this one for real
                net = build(family, config, discriminators=full)[name]
                net.load_state_dict(weights)
        except RuntimeError as e:
            first = str(e).strip().splitlines()[0][:160]
            raise CheckpointError(f"{path}: weights do not match the '{name}' network ({first})") from None
        if any(t.dtype == torch.float16 for t in net.state_dict().values()):
            net = net.float()  # exported built-ins store fp16; inference runs in fp32 (or bf16 autocast)
        out[name] = net.eval()
    return InferenceBundle(family, config, out, state.get("extra", {}), int(state.get("step", 0)), path)


# Below this many weights a network is built straight on the CPU: the meta device saves little memory there,
# and the first factory call under it (torch.hann_window, arange) imports torch's symbolic-shape machinery
# (sympy, dynamo), ~0.7 s of a compact enhancer's start-up (measured with python -X importtime).
LEAN_MIN_ELEMENTS = 2_000_000


def _build_lean(family: str, config: dict[str, Any], discriminators: bool,
                elements: int | None = None) -> dict[str, nn.Module]:
    """Build on the meta device (no memory until the mapped weights are assigned); fall back to the CPU
    for modules that compute tensors while they are built (e.g. a mel filterbank) and for networks of
    fewer than ``LEAN_MIN_ELEMENTS`` weights (``elements``, when known)."""
    import torch

    if elements is not None and elements < LEAN_MIN_ELEMENTS:
        return build(family, config, discriminators=discriminators)
    try:
        with torch.device("meta"):
            return build(family, config, discriminators=discriminators)
    except (NotImplementedError, RuntimeError):
        return build(family, config, discriminators=discriminators)
