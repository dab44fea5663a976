"""Optimisers and learning-rate schedules from the config, and the value checks of the trainer section."""

from __future__ import annotations

from typing import Any

import torch

from audiogan.errors import ConfigError

# trainer.<key>: (lowest allowed value, what it means); checked before anything is built or written
_TRAINER_MINIMUM = {
    "max_steps": (1, "generator updates"),
    "batch_size": (1, "examples per update"),
    "n_critic": (1, "discriminator updates per generator update"),
    "log_interval": (1, "steps between log lines"),
    "save_interval": (1, "steps between checkpoints"),
    "eval_interval": (0, "steps between evaluations, 0 = never"),
    "keep_last": (0, "checkpoints kept, 0 = all"),
    "num_workers": (0, "data-loader processes"),
    "d_start_step": (0, "first step with discriminator updates"),
    "ema_start_step": (0, "first step of the weight average"),
}


def check_trainer_config(config: dict[str, Any]) -> None:
    """Value checks the schema's types cannot express; the first bad value is a ConfigError naming it."""
    cfg = config["trainer"]
    for key, (low, meaning) in _TRAINER_MINIMUM.items():
        v = cfg[key]
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise ConfigError(f"trainer.{key} must be an integer >= {low} ({meaning}), got {v!r}")
    if cfg["grad_clip"] is not None and not cfg["grad_clip"] > 0:
        raise ConfigError(f"trainer.grad_clip must be positive or null, got {cfg['grad_clip']!r}")
    budget = cfg.get("max_minutes")
    numeric = isinstance(budget, int | float) and not isinstance(budget, bool)
    if budget is not None and not (numeric and budget > 0):
        raise ConfigError(f"trainer.max_minutes must be a positive number of minutes or null, got {budget!r}")
    if cfg["ema_decay"] is not None and not 0 < cfg["ema_decay"] < 1:
        raise ConfigError(f"trainer.ema_decay must be in (0, 1) or null, got {cfg['ema_decay']!r}")
    for group, o in config.get("optim", {}).items():
        if not o["lr"] > 0:
            raise ConfigError(f"optim.{group}.lr must be positive, got {o['lr']!r}")
        if not o["eps"] > 0 or o["weight_decay"] < 0:
            raise ConfigError(f"optim.{group}: eps must be positive and weight_decay >= 0")
        if len(o["betas"]) != 2 or not all(0 <= b < 1 for b in o["betas"]):
            raise ConfigError(f"optim.{group}.betas must be two numbers in [0, 1), got {o['betas']!r}")


def build_optimizer(params, cfg: dict[str, Any]) -> torch.optim.Optimizer:
    name = cfg["name"].lower()
    if name == "adam":
        return torch.optim.Adam(
            params, lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"], weight_decay=cfg["weight_decay"]
        )
    if name == "adamw":
        return torch.optim.AdamW(
            params, lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"], weight_decay=cfg["weight_decay"]
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(
            params,
            lr=cfg["lr"],
            alpha=cfg["alpha"],
            eps=cfg["eps"],
            weight_decay=cfg["weight_decay"],
            momentum=cfg["momentum"],
        )
    raise ConfigError(f"unknown optimizer '{cfg['name']}' (adam, adamw, rmsprop)")


def lr_factor(cfg: dict[str, Any], max_steps: int):
    """Multiplicative LR schedule as a function of the optimizer's own step count."""
    name = cfg["name"]
    if name == "none":
        return lambda step: 1.0
    if name == "linear_decay":
        start, end = cfg["start_step"], cfg["end_step"] or max_steps
        final = cfg["final_scale"]
        if end <= start:
            if cfg["end_step"] is None:  # a short run that stops before the decay starts: constant rate
                return lambda step: 1.0
            raise ConfigError("scheduler.end_step must be after scheduler.start_step")
        return lambda step: (
            1.0 if step < start else max(final, 1.0 - (1.0 - final) * (step - start) / (end - start))
        )
    if name == "exponential":
        return lambda step: cfg["gamma"] ** step
    if name == "step":
        return lambda step: cfg["gamma"] ** (step // cfg["step_size"])
    raise ConfigError(f"unknown scheduler '{name}' (none, linear_decay, exponential, step)")
