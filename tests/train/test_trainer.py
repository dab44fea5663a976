"""The common trainer, proved on the toy task: convergence, resume, checkpoints, options, torchrun."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from audiogan.config import load_config, read_yaml
from audiogan.errors import CheckpointError, ConfigError
from audiogan.models import load_for_inference
from audiogan.tasks.toy import ToyGANTask, sliced_wasserstein
from audiogan.train import checkpoint as ckpt
from audiogan.train.trainer import ResumableSampler, Trainer, requires_grad_off

QUIET = ["trainer.progress=false", "trainer.tensorboard=false"]


def make_task(*overrides: str) -> ToyGANTask:
    config = load_config(ToyGANTask.default_config(), None, [*QUIET, *overrides])
    config["task"] = "toy"
    return ToyGANTask(config)


def fit(outdir: Path, *overrides: str) -> Trainer:
    trainer = Trainer(make_task(*overrides), outdir)
    trainer.fit()
    return trainer


def weights(path: Path) -> dict[str, torch.Tensor]:
    state = ckpt.load(path)
    flat = {f"{n}.{k}": v for n, sd in state["networks"].items() for k, v in sd.items()}
    flat.update({f"ema.{n}.{k}": v for n, sd in state["ema"].items() for k, v in sd.items()})
    return flat


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audiogan", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
        timeout=300,
    )


# -- (a) a toy GAN learns the mixture with NS-GAN and WGAN-GP -----------------------------------------
@pytest.mark.parametrize("loss, extra", [("ns", []), ("wgan-gp", ["trainer.n_critic=5"])])
def test_toy_gan_reaches_the_mixture(tmp_path, loss, extra):
    task = make_task(f"loss.name={loss}", "trainer.max_steps=400", "trainer.save_interval=1000", *extra)
    trainer = Trainer(task, tmp_path)
    trainer._setup()
    real = task.train_dataset().samples
    before = sliced_wasserstein(task.sample(len(real)), real)
    trainer.fit()
    after = sliced_wasserstein(task.sample(len(real)), real)
    assert after < 0.7, f"{loss}: sliced W1 {after:.3f} (started at {before:.3f})"
    assert after < 0.4 * before


# -- (b) resume equivalence: 20 steps straight == 10 steps, new process, 10 more ----------------------
def test_resume_in_a_new_process_gives_identical_weights(tmp_path):
    common = [
        "trainer.n_critic=2",
        "trainer.ema_decay=0.9",
        "trainer.batch_size=32",
        "data.size=200",
        "trainer.save_interval=5",
        *QUIET,
    ]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert cli("train", "toy", "--outdir", str(straight), "trainer.max_steps=20", *common).returncode == 0
    first = cli("train", "toy", "--outdir", str(resumed), "trainer.max_steps=10", *common)
    assert first.returncode == 0, first.stderr
    second = cli("train", "toy", "--outdir", str(resumed), "trainer.max_steps=20", *common)
    assert second.returncode == 0, second.stderr
    assert "resuming" in second.stderr and "from step 10" in second.stderr
    a = weights(straight / "checkpoints" / "checkpoint-20.pt")
    b = weights(resumed / "checkpoints" / "checkpoint-20.pt")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_resume_after_a_crash_does_not_repeat_log_lines(tmp_path):
    fit(tmp_path, "trainer.max_steps=6", "trainer.save_interval=4", "trainer.log_interval=1")
    for stale in ("checkpoint-6.pt",):  # as if it crashed after logging step 6 but before saving it
        (tmp_path / "checkpoints" / stale).unlink()
    (tmp_path / "checkpoints" / "latest").write_text("checkpoint-4.pt\n")
    fit(tmp_path, "trainer.max_steps=6", "trainer.save_interval=4", "trainer.log_interval=1")
    records = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if "g_loss" in r]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_rerunning_a_finished_experiment_does_nothing_more(tmp_path):
    fit(tmp_path, "trainer.max_steps=6", "trainer.save_interval=3")
    before = weights(tmp_path / "checkpoints" / "checkpoint-6.pt")
    trainer = fit(tmp_path, "trainer.max_steps=6", "trainer.save_interval=3")
    assert trainer.step == 6
    after = weights(tmp_path / "checkpoints" / "checkpoint-6.pt")
    assert all(torch.equal(before[k], after[k]) for k in before)


# -- (c) a corrupt latest checkpoint falls back to the previous one ----------------------------------
def test_corrupt_latest_checkpoint_falls_back(tmp_path, capsys):
    fit(tmp_path, "trainer.max_steps=10", "trainer.save_interval=5")
    latest = tmp_path / "checkpoints" / "checkpoint-10.pt"
    assert (tmp_path / "checkpoints" / "latest").read_text().strip() == latest.name
    latest.write_bytes(latest.read_bytes()[:100])  # truncated, as after a crash mid-copy
    trainer = Trainer(make_task("trainer.max_steps=10"), tmp_path)
    trainer._setup()
    assert trainer.step == 5
    err = capsys.readouterr().err
    assert "checkpoint-10.pt" in err and "falling back" in err


def test_no_readable_checkpoint_is_an_error_not_a_fresh_start(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "checkpoint-3.pt").write_text("not a checkpoint")
    trainer = Trainer(make_task(), tmp_path)
    with pytest.raises(CheckpointError, match="none of its 1 checkpoint"):
        trainer._setup()
    assert (tmp_path / "checkpoints" / "checkpoint-3.pt").is_file()  # left for the user to look at


def test_restart_sets_unreadable_checkpoints_aside_and_rotation_keeps_the_new_ones(tmp_path, capsys):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "checkpoint-30.pt").write_text("not a checkpoint")
    trainer = Trainer(make_task("trainer.max_steps=6", "trainer.save_interval=2", "trainer.keep_last=2"),
                      tmp_path, restart=True)
    trainer.fit()
    assert trainer.step == 6
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["checkpoint-4.pt", "checkpoint-6.pt"]
    assert (tmp_path / "checkpoints" / "unreadable" / "checkpoint-30.pt").is_file()
    assert "moved to" in capsys.readouterr().err


def test_a_start_that_fails_leaves_no_config_behind(tmp_path, capsys):
    task = make_task("trainer.max_steps=2")
    task.train_dataset = lambda: (_ for _ in ()).throw(ConfigError("data.train_dir is not set"))
    with pytest.raises(ConfigError, match="train_dir"):
        Trainer(task, tmp_path).fit()
    assert not (tmp_path / "config.yaml").exists()
    fit(tmp_path, "trainer.max_steps=2")
    assert (tmp_path / "config.yaml").is_file() and "config differs" not in capsys.readouterr().err


def test_flipped_bytes_inside_tensor_data_are_refused(tmp_path):
    fit(tmp_path, "trainer.max_steps=2", "trainer.save_interval=2")
    path = tmp_path / "checkpoints" / "checkpoint-2.pt"
    assert ckpt.load(path)["sha256"] == ckpt.state_digest(ckpt.load(path))
    data = bytearray(path.read_bytes())
    state = torch.load(path, weights_only=True)
    weight = state["networks"]["generator"][next(iter(state["networks"]["generator"]))]
    raw = weight.reshape(-1).view(torch.uint8).numpy().tobytes()
    at = bytes(data).find(raw[:64])  # the first generator tensor's bytes, stored as they are in the zip
    assert at > 0
    for i in range(at, at + 64):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    torch.load(path, weights_only=True)  # unpickling alone does not notice
    with pytest.raises(CheckpointError, match="SHA-256 checksum does not match the data"):
        ckpt.load(path)


def test_second_training_into_the_same_folder_is_refused(tmp_path):
    import fcntl

    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / ".lock", "a+") as held:  # what a running training holds
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        with pytest.raises(ConfigError, match=r"another training \(pid 4242\) is running"):
            fit(tmp_path, "trainer.max_steps=2")
        assert not (tmp_path / "config.yaml").exists()
    fit(tmp_path, "trainer.max_steps=2")  # once the lock is free, training runs
    assert (tmp_path / "checkpoints" / "checkpoint-2.pt").is_file()


# -- checkpoint contents ---------------------------------------------------------------------------
def test_checkpoint_is_complete_and_loads_weights_only(tmp_path):
    fit(
        tmp_path,
        "trainer.max_steps=4",
        "trainer.save_interval=2",
        "trainer.keep_last=2",
        "trainer.ema_decay=0.5",
    )
    names = sorted(p.name for p in ckpt.list_checkpoints(tmp_path))
    assert names == ["checkpoint-2.pt", "checkpoint-4.pt"]
    state = torch.load(tmp_path / "checkpoints" / "checkpoint-4.pt", weights_only=True)
    for key in ("networks", "ema", "optimizers", "schedulers", "scaler", "rng", "config", "version", "step"):
        assert key in state
    assert state["step"] == 4 and state["task"] == "toy"
    assert set(state["networks"]) == {"generator", "discriminator"} and set(state["ema"]) == {"generator"}
    assert read_yaml(tmp_path / "config.yaml") == state["config"]
    assert not list(tmp_path.glob("checkpoints/*.tmp"))


def test_keep_last_rotates_old_checkpoints(tmp_path):
    fit(tmp_path, "trainer.max_steps=8", "trainer.save_interval=2", "trainer.keep_last=2")
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["checkpoint-6.pt", "checkpoint-8.pt"]


def test_checkpoint_alone_rebuilds_the_generator(tmp_path):
    trainer = fit(tmp_path, "trainer.max_steps=3", "model.hidden=16")
    bundle = load_for_inference(tmp_path, tasks=("toy",), names=("generator",))
    z = torch.randn(5, 4)
    assert torch.allclose(bundle.networks["generator"](z), trainer.nets["generator"].eval()(z))
    with pytest.raises(CheckpointError, match="needs segan"):
        load_for_inference(tmp_path, tasks=("segan",))


def test_mismatched_experiment_config_is_a_clear_error(tmp_path):
    fit(tmp_path, "trainer.max_steps=2", "model.hidden=16")
    with pytest.raises(ConfigError, match="does not match"):
        Trainer(make_task("trainer.max_steps=4", "model.hidden=32"), tmp_path)._setup()


def test_best_checkpoint_tracks_the_eval_metric(tmp_path):
    fit(tmp_path, "trainer.max_steps=6", "trainer.eval_interval=2", "trainer.save_interval=100")
    best = json.loads((tmp_path / "best.json").read_text())
    evals = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    scores = {r["step"]: r["eval_sw1"] for r in evals if "eval_sw1" in r}
    assert sorted(scores) == [2, 4, 6]
    assert best["step"] == min(scores, key=scores.get) and best["metric"] == "sw1"
    assert ckpt.load(tmp_path / "best.pt")["step"] == best["step"]


# -- options ---------------------------------------------------------------------------------------
def test_linear_decay_applies_to_each_optimizer(tmp_path):
    trainer = fit(
        tmp_path,
        "trainer.max_steps=10",
        "scheduler.generator.name=linear_decay",
        "scheduler.generator.start_step=5",
        "scheduler.discriminator.name=linear_decay",
        "scheduler.discriminator.start_step=0",
        "optim.discriminator.lr=0.002",
    )
    g_lr = trainer.optimizers["generator"].param_groups[0]["lr"]
    d_lr = trainer.optimizers["discriminator"].param_groups[0]["lr"]
    assert g_lr == pytest.approx(1e-3 * 0.0, abs=1e-12) and d_lr == pytest.approx(0.0, abs=1e-12)
    log = [
        json.loads(x) for x in (tmp_path / "train_log.jsonl").read_text().splitlines() if "lr_generator" in x
    ]
    assert log[0]["step"] == 10  # one log line at the end (interval 50)
    trainer2 = fit(
        tmp_path / "b",
        "trainer.max_steps=6",
        "scheduler.generator.name=linear_decay",
        "scheduler.generator.start_step=4",
        "scheduler.generator.end_step=8",
    )
    assert trainer2.optimizers["generator"].param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5)
    assert trainer2.optimizers["discriminator"].param_groups[0]["lr"] == pytest.approx(1e-3)


def test_n_critic_and_discriminator_start_step(tmp_path):
    task = make_task("trainer.n_critic=3", "trainer.d_start_step=2", "trainer.max_steps=4")
    trainer = Trainer(task, tmp_path)
    trainer.fit()
    # steps 0, 1: generator only (1 batch each); steps 2, 3: 3 critic batches each
    assert trainer.batches_seen == 1 + 1 + 3 + 3
    assert trainer.optimizers["discriminator"].state_dict()["state"][0]["step"] == 6
    assert trainer.optimizers["generator"].state_dict()["state"][0]["step"] == 4


def test_generator_update_leaves_discriminator_weights_out_of_autograd(tmp_path):
    trainer = Trainer(make_task("trainer.max_steps=1"), tmp_path)
    trainer._setup()
    task, seen = trainer.task, []
    d_params = trainer.params["discriminator"]
    original = task.generator_loss

    def spy(batch):
        seen.append([p.requires_grad for p in d_params])
        return original(batch)

    task.generator_loss = spy
    batch = next(trainer._batches(trainer.task.train_dataset()))
    torch.manual_seed(1)
    plain = original(batch)["loss"]
    want = torch.autograd.grad(plain, trainer.params["generator"])
    torch.manual_seed(1)
    with requires_grad_off(d_params):  # the same loss, D recorded as constants: G's gradients unchanged
        frozen = original(batch)["loss"]
    got = torch.autograd.grad(frozen, trainer.params["generator"])
    assert all(torch.equal(a, b) for a, b in zip(want, got))
    trainer.train_step(iter([batch, batch]))
    assert seen == [[False] * len(d_params)]
    assert all(p.requires_grad for p in d_params)  # restored after the update


def test_bf16_autocast_and_grad_clipping_train(tmp_path):
    trainer = fit(tmp_path, "trainer.amp=bf16", "trainer.grad_clip=0.5", "trainer.max_steps=5")
    for net in trainer.nets.values():
        assert all(torch.isfinite(p).all() for p in net.parameters())
    with pytest.raises(ConfigError, match="fp16 needs CUDA"):
        Trainer(make_task("trainer.amp=fp16", "trainer.device=cpu"), tmp_path / "x")._setup()


@pytest.mark.parametrize("name", ["adam", "adamw", "rmsprop"])
def test_optimizers_by_name(tmp_path, name):
    trainer = fit(
        tmp_path, f"optim.generator.name={name}", f"optim.discriminator.name={name}", "trainer.max_steps=2"
    )
    expected = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}[name]
    assert all(type(o) is expected for o in trainer.optimizers.values())


@pytest.mark.parametrize("override, named", [
    ("trainer.batch_size=0", "trainer.batch_size"), ("trainer.save_interval=0", "trainer.save_interval"),
    ("trainer.log_interval=0", "trainer.log_interval"), ("trainer.max_steps=-5", "trainer.max_steps"),
    ("trainer.n_critic=0", "trainer.n_critic"), ("optim.generator.lr=-1", "optim.generator.lr"),
    ("trainer.ema_decay=1.5", "trainer.ema_decay"), ("optim.discriminator.betas=[0.5,1.5]", "betas"),
])
def test_bad_trainer_values_are_config_errors_before_anything_is_written(tmp_path, override, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        fit(tmp_path / "exp", override)
    assert not (tmp_path / "exp").exists()


def test_log_file_progress_lines_and_unknown_optimizer(tmp_path, capsys):
    fit(tmp_path, "trainer.max_steps=4", "trainer.log_interval=2")
    lines = [ln for ln in capsys.readouterr().out.splitlines() if " step " in ln]
    assert len(lines) == 2 and lines[-1].startswith("audiogan: toy step 4/4 ") and "s/step" in lines[-1]
    records = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if "g_loss" in r]
    assert steps == [2, 4] and {"d_loss", "d_adv", "g_adv", "lr_generator"} <= set(records[0])
    with pytest.raises(ConfigError, match="unknown optimizer"):
        Trainer(make_task("optim.generator.name=sgdx"), tmp_path / "y")._setup()


def test_sampler_shards_and_resumes():
    full = ResumableSampler(10, seed=3, batch=2)
    it = iter(full)
    keys = [next(it) for _ in range(25)]
    resumed = iter(ResumableSampler(10, seed=3, start=13, batch=2))
    assert [next(resumed) for _ in range(12)] == keys[13:]
    epoch0 = sorted(k[0] for k in keys[:10])
    assert epoch0 == list(range(10))  # an epoch is a permutation
    r0, r1 = (
        iter(ResumableSampler(10, 3, rank=0, world=2, batch=1)),
        iter(ResumableSampler(10, 3, rank=1, world=2, batch=1)),
    )
    a, b = [next(r0)[0] for _ in range(5)], [next(r1)[0] for _ in range(5)]
    assert sorted(a + b) == list(range(10))  # ranks split an epoch without overlap


# -- (d) two processes under torchrun (gloo on CPU) end with the same weights ----------------------
def test_torchrun_two_processes_stay_in_sync(tmp_path):
    torchrun = shutil.which("torchrun")
    assert torchrun, "torchrun comes with torch"
    out = tmp_path / "ddp"
    proc = subprocess.run(
        [
            torchrun,
            "--standalone",
            "--nproc-per-node",
            "2",
            "-m",
            "audiogan",
            "train",
            "toy",
            "--outdir",
            str(out),
            "trainer.max_steps=8",
            "trainer.batch_size=16",
            "data.size=256",
            "trainer.save_interval=4",
            *QUIET,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    checksums = next(r["rank_checksums"] for r in records if "rank_checksums" in r)
    assert len(checksums) == 2 and checksums[0] == checksums[1]
    assert ckpt.load(out / "checkpoints" / "checkpoint-8.pt")["step"] == 8
    assert len(ckpt.load(out / "checkpoints" / "checkpoint-8.pt")["rng"]) == 2


def test_tasks_see_the_finished_step_count_when_evaluated(tmp_path):
    seen = []

    class Recording(ToyGANTask):
        def evaluate(self, outdir):
            seen.append(self.step)
            return {}

    config = make_task("trainer.max_steps=6", "trainer.eval_interval=3").config
    Trainer(Recording(config), tmp_path).fit()
    assert seen == [3, 6]
