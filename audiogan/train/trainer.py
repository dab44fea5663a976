"""The one adversarial trainer: the training loop. It knows optimizers, schedules, devices, checkpoints,
logging and processes, and nothing about any model: everything model-specific comes from an
``AdversarialTask``.

One training *step* is ``n_critic`` discriminator updates (each on a fresh batch) followed by one
generator update on the last of those batches. The pieces live beside it: :mod:`.optim` (optimisers,
schedules, config checks), :mod:`.sampler` (resumable keys), :mod:`.ema`, :mod:`.rng`, :mod:`.runlog`
(train_log.jsonl, TensorBoard, progress lines), :mod:`.usage` (time budget, CPU time), :mod:`.lock`,
:mod:`.status` (``audiogan train --status``).

``trainer.max_minutes`` bounds one run's wall time: the run stops at the first step boundary past it,
writes a checkpoint and exits normally; re-running the same command resumes exactly where it stopped.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from audiogan import __version__
from audiogan import checkpoint as ckpt
from audiogan.config import diff_keys, read_yaml, save_config
from audiogan.devices import resolve_device
from audiogan.errors import ConfigError
from audiogan.train import distributed as dist
from audiogan.train.ema import WeightAverage
from audiogan.train.loader import batch_stream
from audiogan.train.lock import exclusive
from audiogan.train.optim import build_optimizer, check_trainer_config, lr_factor  # noqa: F401 - public here
from audiogan.train.rng import rng_state, seed_everything, set_rng_state  # noqa: F401 - public here
from audiogan.train.runlog import RunLog, progress_line, trim_log
from audiogan.train.sampler import ResumableSampler  # noqa: F401 - public here
from audiogan.train.status import write_status
from audiogan.train.task import AdversarialTask
from audiogan.train.usage import RunClock

# config keys whose change between runs is expected (a longer run, another session's budget)
_RESUME_KEYS = {"trainer.max_steps", "trainer.max_minutes"}


@contextlib.contextmanager
def requires_grad_off(params: list[torch.nn.Parameter]) -> Iterator[None]:
    """Within the block, ``params`` do not require grad (autograd records them as constants)."""
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


class Trainer:
    """Runs a task: ``Trainer(task, outdir).fit()``. Re-running with the same outdir resumes."""

    def __init__(self, task: AdversarialTask, outdir: str | Path, *, restart: bool = False):
        self.task = task
        self.restart = restart  # no readable checkpoint: set the unreadable ones aside and start at step 0
        self.config = task.config
        self.cfg = task.config["trainer"]
        self.outdir = Path(outdir)
        self.step = 0
        self.batches_seen = 0
        self.best: dict[str, Any] = {}
        self.usage: dict[str, Any] = {}  # CPU/wall time of earlier runs (from the checkpoint)
        self.stopped_on_budget = False

    # -- setup --------------------------------------------------------------------------------------
    def _setup(self) -> None:
        check_trainer_config(self.config)
        device = resolve_device(self.cfg["device"])
        dist.init_from_env(device)
        self.device = torch.device(dist.local_device(device))
        self.rank, self.world = dist.rank(), dist.world_size()
        self.main = self.rank == 0
        amp = self.cfg["amp"]
        if amp not in ("none", "bf16", "fp16"):
            raise ConfigError(f"trainer.amp must be none, bf16 or fp16, got '{amp}'")
        if amp == "fp16" and self.device.type != "cuda":
            raise ConfigError("trainer.amp=fp16 needs CUDA; use bf16 on CPU")
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp)
        self.scaler = torch.amp.GradScaler("cuda", enabled=amp == "fp16")

        seed_everything(self.cfg["seed"])  # same initial weights on every rank
        self.nets = {k: v.to(self.device) for k, v in self.task.build_networks(self.config).items()}
        dist.broadcast_modules(self.nets.values())
        groups = {"generator": self.task.generators, "discriminator": self.task.discriminators}
        self.groups = {g: list(names) for g, names in groups.items() if names}
        for names in self.groups.values():
            for n in names:
                if n not in self.nets:
                    raise ConfigError(f"task names network '{n}' that build_networks does not return")
        self.params = {
            g: [p for n in names for p in self.nets[n].parameters()] for g, names in self.groups.items()
        }
        self.optimizers = {g: build_optimizer(self.params[g], self.config["optim"][g]) for g in self.groups}
        self.schedulers = {
            g: torch.optim.lr_scheduler.LambdaLR(
                opt, lr_factor(self.config["scheduler"][g], self.cfg["max_steps"])
            )
            for g, opt in self.optimizers.items()
        }
        self.ema = None
        if self.cfg["ema_decay"]:
            gens = {n: self.nets[n] for n in self.groups["generator"]}
            self.ema = WeightAverage(gens, self.cfg["ema_decay"], self.cfg["ema_start_step"])

        self.task.nets, self.task.device = self.nets, self.device
        seed_everything(self.cfg["seed"] + 7919 * self.rank)  # per-rank noise from here on
        self._maybe_resume()

    def _check_config(self) -> None:
        path = self.outdir / "config.yaml"
        if path.is_file():
            old = read_yaml(path)
            changed = [k for k in diff_keys(old, self.config) if k not in _RESUME_KEYS]
            if changed and self.main:
                print(
                    f"audiogan: warning: config differs from {path} in: {', '.join(changed)}", file=sys.stderr
                )
        # config.yaml is written once the first step has run, so a start that fails (a missing data dir,
        # a bad value found late) leaves no config behind to warn about on the next try
        self._config_pending = self.main

    def _save_config_once(self) -> None:
        if self._config_pending:
            save_config(self.config, self.outdir / "config.yaml")
            self._config_pending = False

    def _maybe_resume(self) -> None:
        state = ckpt.load_latest(self.outdir, set_aside_unreadable=self.restart)
        if state is None:
            return
        if state.get("task") != self.task.name:
            raise ConfigError(
                f"{self.outdir} holds a '{state.get('task')}' experiment, not '{self.task.name}'"
            )
        try:
            for name, net in self.nets.items():
                net.load_state_dict(state["networks"][name])
        except (KeyError, RuntimeError) as e:
            raise ConfigError(
                f"{self.outdir}: its checkpoint does not match this model config ({e})"
            ) from None
        for g, opt in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][g])
            self.schedulers[g].load_state_dict(state["schedulers"][g])
        if self.ema is not None and state.get("ema"):
            self.ema.load_state_dict(state["ema"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        self.batches_seen = int(state["batches_seen"])
        self.best = dict(state.get("best") or {})
        self.usage = dict(state.get("usage") or {})
        rngs = state["rng"]
        set_rng_state(rngs[self.rank] if self.rank < len(rngs) else rngs[0])
        if self.main:
            print(f"audiogan: resuming {self.outdir} from step {self.step}", file=sys.stderr)
            trim_log(self.outdir, self.step)

    def _batches(self, dataset: Any) -> Iterator[Any]:
        start = self.batches_seen * self.cfg["batch_size"]
        for batch in batch_stream(dataset, self.cfg, self.task.collate_fn(), self.device, start, self.rank,
                                  self.world):
            self.batches_seen += 1
            yield batch

    # -- one update ---------------------------------------------------------------------------------
    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _update(self, group: str, losses: dict[str, torch.Tensor]) -> dict[str, float]:
        if "loss" not in losses:
            raise RuntimeError(f"the task's {group}_loss must return a 'loss' entry")
        opt = self.optimizers[group]
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(losses["loss"]).backward()
        dist.average_gradients(self.params[group])
        if self.cfg["grad_clip"]:
            self.scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(self.params[group], self.cfg["grad_clip"])
        self.scaler.step(opt)
        self.scaler.update()
        self.task.after_update(group)
        # other groups' grads from this backward (e.g. D params in the G step) are not kept around
        for other, params in self.params.items():
            if other != group:
                for p in params:
                    p.grad = None
        prefix = "d_" if group == "discriminator" else "g_"
        return {
            (k if k.startswith(("d_", "g_")) else prefix + k): float(v.detach()) for k, v in losses.items()
        }

    def train_step(self, batches: Iterator[Any]) -> dict[str, float]:
        task, logs = self.task, {}
        task.step = self.step
        task.adversarial = self.step >= self.cfg["d_start_step"]
        for net in self.nets.values():
            net.train()
        batch = None
        stepped = ["generator"]
        if "discriminator" in self.groups and task.adversarial:
            stepped.append("discriminator")
            for _ in range(self.cfg["n_critic"]):
                batch = next(batches)
                with self._autocast():
                    losses = task.discriminator_loss(batch)
                logs.update(self._update("discriminator", losses))
        if batch is None:
            batch = next(batches)
        # The generator update never steps the discriminators: recording their weights as constants skips
        # the weight gradients of every D forward in the G loss (G's gradients are unchanged). Measured:
        # no gain on CPU (benchmarks/cyclegan_vc2_step.py); kept because it is exact and free.
        with self._autocast(), requires_grad_off(self.params.get("discriminator", [])):
            losses = task.generator_loss(batch)
        logs.update(self._update("generator", losses))
        for group in stepped:  # a schedule counts its own optimizer's updates
            self.schedulers[group].step()
        self.step += 1
        if self.ema is not None:
            self.ema.update(self.step)
        return logs

    # -- state --------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        rngs = [rng_state()]
        if self.world > 1:  # every rank's RNG, so a resumed multi-process run continues exactly
            import torch.distributed as tdist

            gathered: list[Any] = [None] * self.world
            tdist.all_gather_object(gathered, rngs[0])
            rngs = gathered
        return {
            "format": ckpt.FORMAT,
            "version": __version__,
            "task": self.task.name,
            "step": self.step,
            "batches_seen": self.batches_seen,
            "config": self.config,
            "networks": {n: m.state_dict() for n, m in self.nets.items()},
            "ema": self.ema.state_dict() if self.ema is not None else {},
            "optimizers": {g: o.state_dict() for g, o in self.optimizers.items()},
            "schedulers": {g: s.state_dict() for g, s in self.schedulers.items()},
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else {},
            "rng": rngs,
            "extra": self.task.inference_state(),
            "best": self.best,
            "usage": self._usage(),
        }

    def _usage(self) -> dict[str, Any]:
        clock = getattr(self, "clock", None)
        return clock.usage() if clock is not None else dict(self.usage)

    def save(self) -> Path | None:
        state = self.state_dict()  # collective when multi-process: every rank calls it
        if not self.main:
            return None
        path = ckpt.write(self.outdir, state, self.cfg["keep_last"])
        write_status(self.outdir, self._status_record(state["usage"]))
        return path

    def _status_record(self, usage: dict[str, Any]) -> dict[str, Any]:
        done = self.step - self.start_step
        rate = round(self.clock.elapsed() / done, 4) if done else None
        return {"task": self.task.name, "step": self.step, "max_steps": self.cfg["max_steps"],
                "best": self.best, "usage": usage, "sec_per_step": rate,
                "stopped_on_budget": self.stopped_on_budget}

    @contextlib.contextmanager
    def _ema_weights(self):
        """Swap EMA weights into the generators (evaluation uses what inference will use)."""
        with self.ema.swapped_in() if self.ema is not None else contextlib.nullcontext():
            yield

    def evaluate(self) -> dict[str, float]:
        self.task.step = self.step
        for net in self.nets.values():
            net.eval()
        with torch.no_grad(), self._ema_weights():
            metrics = self.task.evaluate(self.outdir)
        return {k: float(v) for k, v in metrics.items()}

    # -- the loop -----------------------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        self._setup()
        created = not self.outdir.exists()
        self.task.outdir = self.outdir  # e.g. SEGAN's window cache lives in the experiment dir
        with exclusive(self.outdir) if self.main else contextlib.nullcontext():
            try:
                dataset = self.task.train_dataset()
            except BaseException:
                self._undo_failed_start(created)
                raise
            return self._fit(dataset)

    def _undo_failed_start(self, created: bool) -> None:
        """A start whose data fails leaves no trace: the lock file, and the folder when this run made it."""
        if not self.main:
            return
        (self.outdir / ".lock").unlink(missing_ok=True)
        if created:
            shutil.rmtree(self.outdir, ignore_errors=True)

    def _fit(self, dataset: Any) -> dict[str, Any]:
        self._check_config()
        cfg, max_steps = self.cfg, self.cfg["max_steps"]
        log = RunLog(self.outdir, cfg["tensorboard"]) if self.main else None
        bar = None
        if self.main and cfg["progress"]:
            from tqdm import tqdm

            bar = tqdm(total=max_steps, initial=self.step, desc=f"train {self.task.name}", unit="step",
                       dynamic_ncols=True, disable=None)
        self.task.writer = log.writer if log is not None else None  # for sample dumps (rank 0 only)
        self.task.outdir = self.outdir
        batches = self._batches(dataset)
        last: dict[str, float] = {}
        self.clock, self.start_step = RunClock(cfg.get("max_minutes"), self.usage), self.step
        try:
            while self.step < max_steps:
                last = self.train_step(batches)
                self._save_config_once()
                # every rank must agree to stop at the same step: rank 0's clock decides
                over = dist.broadcast_flag(self.clock.over_budget(), self.device)
                self.stopped_on_budget = over and self.step < max_steps
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix({k: f"{v:.3g}" for k, v in list(last.items())[:6]}, refresh=False)
                if log is not None and (self.step % cfg["log_interval"] == 0 or self.step == max_steps):
                    lrs = {f"lr_{g}": o.param_groups[0]["lr"] for g, o in self.optimizers.items()}
                    log.write(self.step, {**last, **lrs, "elapsed_s": round(self.clock.elapsed(), 3)})
                    if bar is None or bar.disable:  # no live bar (not a terminal, or progress off): a line
                        rate = self.clock.elapsed() / max(self.step - self.start_step, 1)
                        print(progress_line(self.task.name, self.step, max_steps, last, rate), flush=True)
                evaluated = False
                if cfg["eval_interval"] and self.step % cfg["eval_interval"] == 0:
                    evaluated = self._eval_and_track(log)
                if (self.step % cfg["save_interval"] == 0 or self.step == max_steps or evaluated
                        or self.stopped_on_budget):
                    path = self.save()
                    if evaluated and self.main and self.best.get("step") == self.step and path is not None:
                        ckpt.copy_as(path, self.outdir / "best.pt")
                if self.stopped_on_budget:
                    break
            self._finish(log, bar, max_steps)
        finally:
            if bar is not None:
                bar.close()
            if log is not None:
                log.close()
        return last

    def _finish(self, log: RunLog | None, bar, max_steps: int) -> None:
        checksums = dist.parameter_checksums(self.nets)
        if log is None:
            return
        if self.stopped_on_budget:
            usage = self._usage()
            log.write(self.step, {"stopped_on_budget": True, "max_minutes": self.cfg["max_minutes"], **usage},
                      scalars=False)
            if bar is not None:
                bar.close()
            print(f"audiogan: stopped on time budget at step {self.step} of {max_steps}; re-run the same "
                  "command to resume", flush=True)
            return
        log.write(self.step, {"rank_checksums": checksums, **self._usage()}, scalars=False)
        if len(set(checksums)) > 1:
            print("audiogan: warning: ranks ended with different weights", file=sys.stderr)

    def _eval_and_track(self, log: RunLog | None) -> bool:
        metrics = self.evaluate() if self.main else {}
        if log is None:
            return True
        log.write(self.step, {f"eval_{k}": v for k, v in metrics.items()})
        key = self.task.best_metric
        if key and key in metrics:
            better = not self.best or (
                metrics[key] > self.best["value"]
                if self.task.best_mode == "max"
                else metrics[key] < self.best["value"]
            )
            if better:
                import json

                self.best = {"metric": key, "value": metrics[key], "step": self.step}
                (self.outdir / "best.json").write_text(json.dumps(self.best) + "\n")
        return True
