"""The one adversarial trainer. It knows optimizers, schedules, devices, checkpoints, logging and
processes, and nothing about any model: everything model-specific comes from an ``AdversarialTask``.

One training *step* is ``n_critic`` discriminator updates (each on a fresh batch) followed by one
generator update on the last of those batches.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from audiogan import __version__
from audiogan import checkpoint as ckpt
from audiogan.config import diff_keys, read_yaml, save_config
from audiogan.devices import resolve_device
from audiogan.errors import ConfigError
from audiogan.train import distributed as dist
from audiogan.train.task import AdversarialTask


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


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


class ResumableSampler(Sampler):
    """Shuffled keys ``(index, seed)`` in an endless epoch sequence that can restart mid-epoch.

    The permutation of epoch ``e`` and each item's seed depend only on (seed, epoch, position), and ranks
    take interleaved shards of it, so a resumed or multi-process run sees exactly the same data.
    """

    def __init__(self, size: int, seed: int, start: int = 0, rank: int = 0, world: int = 1, batch: int = 1):
        if size <= 0:
            raise ConfigError("the training set is empty")
        self.size, self.seed, self.start, self.rank, self.world = size, seed, start, rank, world
        # whole batches per epoch per rank; small sets are repeated so one epoch fills at least one batch
        self.per_rank = max(batch, (size // world) // batch * batch)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        position = self.start  # keys already consumed by this rank
        while True:
            epoch, offset = divmod(position, self.per_rank)
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            reps = math.ceil(self.per_rank * self.world / self.size)
            order = torch.cat([torch.randperm(self.size, generator=g) for _ in range(reps)])
            mine = order[self.rank :: self.world][: self.per_rank]
            for i in range(offset, self.per_rank):
                key_seed = (self.seed * 1_000_003 + epoch) * 1_000_003 + i * self.world + self.rank
                yield int(mine[i]), key_seed % (2**63)
            position = (epoch + 1) * self.per_rank

    def __len__(self) -> int:  # pragma: no cover - endless
        return 2**62


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


def _to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


def rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
        "python": list(random.getstate()),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), *n[2:]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


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
        self.groups = {g: [n for n in names] for g, names in groups.items() if names}
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
            self.ema = {
                n: copy.deepcopy(self.nets[n]).eval().requires_grad_(False) for n in self.groups["generator"]
            }

        self.task.nets, self.task.device = self.nets, self.device
        seed_everything(self.cfg["seed"] + 7919 * self.rank)  # per-rank noise from here on
        self._maybe_resume()

    def _check_config(self) -> None:
        path = self.outdir / "config.yaml"
        if path.is_file():
            old = read_yaml(path)
            changed = [k for k in diff_keys(old, self.config) if k != "trainer.max_steps"]
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
            for name, net in self.ema.items():
                net.load_state_dict(state["ema"][name])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        self.batches_seen = int(state["batches_seen"])
        self.best = dict(state.get("best") or {})
        rngs = state["rng"]
        set_rng_state(rngs[self.rank] if self.rank < len(rngs) else rngs[0])
        if self.main:
            print(f"audiogan: resuming {self.outdir} from step {self.step}", file=sys.stderr)
            self._trim_log()

    def _trim_log(self) -> None:
        """Drop train_log.jsonl records past the resumed step: those steps run again and log again."""
        path = self.outdir / "train_log.jsonl"
        if not path.is_file():
            return
        lines = path.read_text().splitlines(keepends=True)
        kept = []
        for line in lines:
            try:
                if int(json.loads(line).get("step", 0)) > self.step:
                    continue
            except (ValueError, AttributeError):
                pass  # keep what cannot be read; it is the user's file
            kept.append(line)
        if len(kept) != len(lines):
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text("".join(kept))
            os.replace(tmp, path)

    def _loader(self, dataset: Any) -> Iterator[Any]:
        sampler = ResumableSampler(
            len(dataset),
            self.cfg["seed"],
            self.batches_seen * self.cfg["batch_size"],
            self.rank,
            self.world,
            self.cfg["batch_size"],
        )
        workers = self.cfg["num_workers"]
        loader = DataLoader(
            dataset,
            batch_size=self.cfg["batch_size"],
            sampler=sampler,
            num_workers=workers,
            collate_fn=self.task.collate_fn(),
            pin_memory=self.device.type == "cuda",
            persistent_workers=workers > 0,
            drop_last=True,
            # its own generator: creating the iterator must not draw from the global RNG,
            # or a resumed run would diverge from an uninterrupted one
            generator=torch.Generator().manual_seed(self.cfg["seed"] + self.rank),
        )
        for batch in loader:
            self.batches_seen += 1
            yield _to_device(batch, self.device)

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

    @torch.no_grad()
    def _update_ema(self) -> None:
        if self.ema is None or self.step < self.cfg["ema_start_step"]:
            if self.ema is not None:  # before the start step the EMA tracks the weights exactly
                for n, e in self.ema.items():
                    e.load_state_dict(self.nets[n].state_dict())
            return
        decay = self.cfg["ema_decay"]
        for n, e in self.ema.items():
            for pe, p in zip(e.parameters(), self.nets[n].parameters()):
                pe.lerp_(p.detach(), 1.0 - decay)
            for be, b in zip(e.buffers(), self.nets[n].buffers()):
                be.copy_(b)

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
        self._update_ema()
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
            "ema": {n: m.state_dict() for n, m in (self.ema or {}).items()},
            "optimizers": {g: o.state_dict() for g, o in self.optimizers.items()},
            "schedulers": {g: s.state_dict() for g, s in self.schedulers.items()},
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else {},
            "rng": rngs,
            "extra": self.task.inference_state(),
            "best": self.best,
        }

    def save(self) -> Path | None:
        state = self.state_dict()  # collective when multi-process: every rank calls it
        if not self.main:
            return None
        return ckpt.write(self.outdir, state, self.cfg["keep_last"])

    @contextlib.contextmanager
    def _ema_weights(self):
        """Swap EMA weights into the generators (evaluation uses what inference will use)."""
        if self.ema is None:
            yield
            return
        saved = {n: copy.deepcopy(self.nets[n].state_dict()) for n in self.ema}
        for n, e in self.ema.items():
            self.nets[n].load_state_dict(e.state_dict())
        try:
            yield
        finally:
            for n, s in saved.items():
                self.nets[n].load_state_dict(s)

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
        with self._exclusive():
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

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold ``<outdir>/.lock`` (an advisory flock) for the run: a second training into the same folder
        stops with an error instead of interleaving logs and checkpoints. The OS drops the lock when the
        process dies, so a crashed run never blocks the next one."""
        if not self.main:
            yield
            return
        import fcntl

        self.outdir.mkdir(parents=True, exist_ok=True)
        path = self.outdir / ".lock"
        with open(path, "a+") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                holder = f.read().strip() or "?"
                raise ConfigError(
                    f"{self.outdir}: another training (pid {holder}) is running into this folder; "
                    "wait for it or use another --outdir"
                ) from None
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()}\n")
            f.flush()
            try:
                yield
            finally:
                f.seek(0)
                f.truncate()
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def _fit(self, dataset: Any) -> dict[str, Any]:
        self._check_config()
        cfg, max_steps = self.cfg, self.cfg["max_steps"]
        log_path = self.outdir / "train_log.jsonl"
        writer = self._tensorboard() if self.main else None
        bar = None
        if self.main and cfg["progress"]:
            from tqdm import tqdm

            bar = tqdm(
                total=max_steps,
                initial=self.step,
                desc=f"train {self.task.name}",
                unit="step",
                dynamic_ncols=True,
                disable=None,
            )
        self.task.writer, self.task.outdir = writer, self.outdir  # for sample dumps (rank 0 only)
        batches = self._loader(dataset)
        last: dict[str, float] = {}
        t0, start_step = time.time(), self.step
        try:
            while self.step < max_steps:
                last = self.train_step(batches)
                self._save_config_once()
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix({k: f"{v:.3g}" for k, v in list(last.items())[:6]}, refresh=False)
                if self.main and (self.step % cfg["log_interval"] == 0 or self.step == max_steps):
                    lrs = {f"lr_{g}": o.param_groups[0]["lr"] for g, o in self.optimizers.items()}
                    self._log(log_path, writer, {**last, **lrs, "elapsed_s": round(time.time() - t0, 3)})
                    if bar is None or bar.disable:  # no live bar (not a terminal, or progress off): a line
                        self._print_progress(last, max_steps, start_step, time.time() - t0)
                evaluated = False
                if cfg["eval_interval"] and self.step % cfg["eval_interval"] == 0:
                    evaluated = self._eval_and_track(log_path, writer)
                if self.step % cfg["save_interval"] == 0 or self.step == max_steps or evaluated:
                    path = self.save()
                    if evaluated and self.main and self.best.get("step") == self.step and path is not None:
                        ckpt.copy_as(path, self.outdir / "best.pt")
            checksums = dist.parameter_checksums(self.nets)
            if self.main:
                self._log(log_path, None, {"rank_checksums": checksums})
                if len(set(checksums)) > 1:
                    print("audiogan: warning: ranks ended with different weights", file=sys.stderr)
        finally:
            if bar is not None:
                bar.close()
            if writer is not None:
                writer.close()
        return last

    def _print_progress(self, logs: dict[str, float], max_steps: int, start: int, elapsed: float) -> None:
        done = self.step - start
        rate = elapsed / max(done, 1)
        eta = rate * (max_steps - self.step)
        losses = " ".join(f"{k}={v:.3g}" for k, v in list(logs.items())[:4])
        print(f"audiogan: {self.task.name} step {self.step}/{max_steps} {losses} ({rate:.2f} s/step, "
              f"{_hms(eta)} left)", flush=True)  # stdout: the run's log, as a bar would be on a terminal

    def _eval_and_track(self, log_path: Path, writer) -> bool:
        metrics = self.evaluate() if self.main else {}
        if not self.main:
            return True
        self._log(log_path, writer, {f"eval_{k}": v for k, v in metrics.items()})
        key = self.task.best_metric
        if key and key in metrics:
            better = not self.best or (
                metrics[key] > self.best["value"]
                if self.task.best_mode == "max"
                else metrics[key] < self.best["value"]
            )
            if better:
                self.best = {"metric": key, "value": metrics[key], "step": self.step}
                (self.outdir / "best.json").write_text(json.dumps(self.best) + "\n")
        return True

    def _log(self, path: Path, writer, record: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            f.write(json.dumps({"step": self.step, **record}) + "\n")
        if writer is not None:
            for k, v in record.items():
                if isinstance(v, int | float):
                    writer.add_scalar(k, v, self.step)

    def _tensorboard(self):
        if not self.cfg["tensorboard"]:
            return None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # tensorboard is an optional extra
            return None
        return SummaryWriter(str(self.outdir / "tensorboard"))
