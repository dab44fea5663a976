"""The contract between a model family and the common adversarial trainer.

A task knows its networks, its data and its losses; the trainer knows optimizers, schedules, devices,
checkpoints, logging and processes, and nothing about any model. Subclass :class:`AdversarialTask`:

* ``default_config()`` – the full config schema with defaults (model/data/loss sections plus any
  trainer/optim/scheduler defaults the family wants to change). See :func:`base_config`.
* ``build_networks(config)`` (classmethod) – ``{name: nn.Module}``. Must not touch data. Inference
  never imports a task: it rebuilds the networks from a checkpoint's config with
  :func:`audiogan.models.build`, so a family registers its builder in ``audiogan/models/registry.py``
  and returns ``build(name, config, discriminators=True)`` here (one definition for both).
* ``generators`` / ``discriminators`` – network names stepped by ``generator_loss`` and
  ``discriminator_loss``. Optimizers are per group (``optim.generator``/``optim.discriminator``);
  EMA applies to the generator group. A task with no discriminators is plain supervised training.
* ``train_dataset()`` – a map-style dataset. The trainer's sampler hands it keys ``(index, seed)``;
  ``index_and_rng(key)`` (:mod:`audiogan.data.sampling`) turns a key into the item index and a ``numpy``
  Generator so random crops are reproducible and resumable whatever the number of workers.
* ``discriminator_loss(batch)`` / ``generator_loss(batch)`` – dicts of named scalar tensors; the
  ``"loss"`` entry is back-propagated, every entry is logged.
* ``evaluate(outdir)`` (optional) – metrics on a dev set, run on rank 0 every ``eval_interval`` steps;
  ``best_metric``/``best_mode`` pick the best checkpoint.
* ``after_update(group)`` (optional) – runs after each optimizer step, e.g. WGAN weight clipping.
* ``inference_state()`` (optional) – plain data (tensors, numbers, lists, dicts) that inference needs
  besides the weights, e.g. feature statistics. Stored in the checkpoint as ``"extra"``.

At run time the trainer sets ``self.nets`` (name -> module on the device), ``self.device``, ``self.step``
(number of generator updates so far), ``self.adversarial`` (False before ``trainer.d_start_step``),
``self.outdir`` (the experiment dir) and ``self.writer`` (a TensorBoard writer on rank 0, or None).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from torch.utils.data import Dataset

from audiogan.data.sampling import index_and_rng  # noqa: F401  (moved; old import path)

TRAINER_DEFAULTS: dict[str, Any] = {
    "max_steps": 1000,  # generator updates
    "max_minutes": None,  # wall-clock budget of one run: stop (with a checkpoint) at the first step past it
    "batch_size": 16,
    "n_critic": 1,  # discriminator updates per generator update
    "d_start_step": 0,  # before this step: no D updates and task.adversarial is False
    "grad_clip": None,  # max gradient norm per network group (null: off)
    "amp": "none",  # none | bf16 | fp16 (fp16 on CUDA only, with a GradScaler)
    "ema_decay": None,  # e.g. 0.999: keep an EMA of the generator group's weights
    "ema_start_step": 0,
    "seed": 0,
    "device": "auto",  # auto | cpu | cuda | cuda:N
    "num_workers": 0,
    "log_interval": 10,
    "eval_interval": 0,  # 0: never
    "save_interval": 500,
    "keep_last": 3,
    "tensorboard": True,  # used when the tensorboard package is installed
    "progress": True,
}

OPTIM_DEFAULTS: dict[str, Any] = {
    "name": "adam",  # adam | adamw | rmsprop
    "lr": 2e-4,
    "betas": [0.5, 0.999],
    "eps": 1e-8,
    "weight_decay": 0.0,
    "alpha": 0.99,  # rmsprop smoothing
    "momentum": 0.0,  # rmsprop
}

SCHEDULER_DEFAULTS: dict[str, Any] = {
    "name": "none",  # none | linear_decay | exponential | step
    "start_step": 0,  # linear_decay: constant until here, then linear to final_scale at end_step
    "end_step": None,  # linear_decay: defaults to trainer.max_steps
    "final_scale": 0.0,
    "gamma": 0.999,  # exponential / step
    "step_size": 1000,  # step
}


def base_config(**sections: dict[str, Any]) -> dict[str, Any]:
    """The common skeleton of every task config, updated section by section with ``sections``."""
    import copy

    config: dict[str, Any] = {
        "task": "",
        "model": {},
        "data": {},
        "loss": {},
        "trainer": copy.deepcopy(TRAINER_DEFAULTS),
        "optim": {"generator": copy.deepcopy(OPTIM_DEFAULTS), "discriminator": copy.deepcopy(OPTIM_DEFAULTS)},
        "scheduler": {
            "generator": copy.deepcopy(SCHEDULER_DEFAULTS),
            "discriminator": copy.deepcopy(SCHEDULER_DEFAULTS),
        },
    }
    for name, values in sections.items():
        if name in config and isinstance(config[name], dict):
            _deep_update(config[name], values)
        else:
            config[name] = values
    return config


def _deep_update(dst: dict, src: dict) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _deep_update(dst[k], v)
        else:
            dst[k] = v


class AdversarialTask:
    name: ClassVar[str] = ""
    generators: ClassVar[tuple[str, ...]] = ("generator",)
    discriminators: ClassVar[tuple[str, ...]] = ("discriminator",)
    best_metric: ClassVar[str | None] = None
    best_mode: ClassVar[str] = "max"  # max | min

    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.nets: dict[str, nn.Module] = {}
        self.device = torch.device("cpu")
        self.step = 0
        self.adversarial = True
        self.writer = None  # TensorBoard SummaryWriter on rank 0 when enabled, else None
        self.outdir: Path | None = None

    # -- schema -------------------------------------------------------------------------------------
    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(task=cls.name)

    # -- networks -----------------------------------------------------------------------------------
    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        raise NotImplementedError

    # -- data ---------------------------------------------------------------------------------------
    def train_dataset(self) -> Dataset:
        raise NotImplementedError

    def collate_fn(self):
        """Optional custom collate function for the training DataLoader (None: default collate)."""
        return None

    # -- losses -------------------------------------------------------------------------------------
    def discriminator_loss(self, batch: Any) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def generator_loss(self, batch: Any) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    # -- optional hooks -----------------------------------------------------------------------------
    def after_update(self, group: str) -> None:
        """Runs after each optimizer step of ``group`` ("generator"/"discriminator"), e.g. to clip weights."""

    def evaluate(self, outdir: Path) -> dict[str, float]:
        return {}

    def inference_state(self) -> dict[str, Any]:
        return {}
