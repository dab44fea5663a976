"""Trainings that span sessions: the time budget (trainer.max_minutes / --max-minutes) stops a run cleanly
and the same command resumes it bit-exactly; CPU time adds up over runs; `audiogan train --status`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from audiogan.config import load_config
from audiogan.errors import ConfigError
from audiogan.tasks.toy import ToyGANTask
from audiogan.train import checkpoint as ckpt
from audiogan.train import usage as usage_mod
from audiogan.train.trainer import Trainer

COMMON = ["trainer.n_critic=2", "trainer.ema_decay=0.9", "trainer.batch_size=32", "data.size=200",
          "trainer.save_interval=50", "trainer.log_interval=1", "trainer.progress=false",
          "trainer.tensorboard=false"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audiogan", *args], capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)


def weights(path: Path) -> dict[str, torch.Tensor]:
    state = ckpt.load(path)
    flat = {f"{n}.{k}": v for n, sd in state["networks"].items() for k, v in sd.items()}
    flat.update({f"ema.{n}.{k}": v for n, sd in state["ema"].items() for k, v in sd.items()})
    for g, o in state["optimizers"].items():
        for i, st in o["state"].items():
            flat.update({f"opt.{g}.{i}.{k}": v for k, v in st.items() if torch.is_tensor(v)})
    return flat


def make_trainer(outdir: Path, *overrides: str) -> Trainer:
    config = load_config(ToyGANTask.default_config(), None, [*COMMON, *overrides])
    config["task"] = "toy"
    return Trainer(ToyGANTask(config), outdir)


class FakeClock:
    """time.monotonic advancing 1 s per reading: the budget is spent after a known number of readings."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        self.now += 1.0
        return self.now

    def process_time(self) -> float:
        return self.now / 2


def test_a_run_stopped_on_its_budget_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path, monkeypatch,
                                                                                    capsys):
    make_trainer(tmp_path / "straight", "trainer.max_steps=12").fit()
    clock = FakeClock()
    monkeypatch.setattr(usage_mod, "time", clock)
    # each step reads the clock a few times (budget check, log line): 0.2 min = 12 readings, a few steps
    stopped = make_trainer(tmp_path / "split", "trainer.max_steps=12", "trainer.max_minutes=0.2")
    stopped.fit()
    out = capsys.readouterr().out
    assert 0 < stopped.step < 12 and stopped.stopped_on_budget
    assert f"stopped on time budget at step {stopped.step} of 12; re-run the same command to resume" in out
    records = [json.loads(x) for x in (tmp_path / "split" / "train_log.jsonl").read_text().splitlines()]
    assert records[-1]["stopped_on_budget"] is True and records[-1]["step"] == stopped.step
    assert (tmp_path / "split" / "checkpoints" / f"checkpoint-{stopped.step}.pt").is_file()

    monkeypatch.undo()  # the next session: no budget left to worry about
    resumed = make_trainer(tmp_path / "split", "trainer.max_steps=12")
    resumed.fit()
    assert resumed.step == 12 and not resumed.stopped_on_budget
    a = weights(tmp_path / "straight" / "checkpoints" / "checkpoint-12.pt")
    b = weights(tmp_path / "split" / "checkpoints" / "checkpoint-12.pt")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    usage = ckpt.load(tmp_path / "split" / "checkpoints" / "checkpoint-12.pt")["usage"]
    assert usage["runs"] == 2 and usage["cpu_seconds"] > 0 and usage["wall_seconds"] > 0


def test_max_minutes_from_the_command_line_stops_with_exit_0_and_status_tells_where_it_stands(tmp_path):
    exp = tmp_path / "exp"
    first = cli("train", "toy", "--outdir", str(exp), "--max-minutes", "0.0001", "trainer.max_steps=40",
                *COMMON)
    assert first.returncode == 0, first.stderr
    assert "stopped on time budget at step 1 of 40; re-run the same command to resume" in first.stdout
    status = cli("train", "--status", str(exp))
    assert status.returncode == 0, status.stderr
    text = status.stdout
    assert "step: 1 of 40" in text and "CPU time so far:" in text and "estimated time left:" in text
    assert "stopped on its time budget" in text
    record = json.loads(cli("train", "--status", str(exp), "--json").stdout)
    assert record["step"] == 1 and record["stopped_on_budget"] is True and record["usage"]["runs"] == 1

    second = cli("train", "toy", "--outdir", str(exp), "trainer.max_steps=40", *COMMON)
    assert second.returncode == 0, second.stderr
    assert "from step 1" in second.stderr and "config differs" not in second.stderr
    record = json.loads(cli("train", "--status", str(exp), "--json").stdout)
    assert record["step"] == 40 and record["usage"]["runs"] == 2 and not record["stopped_on_budget"]
    assert "state: finished" in cli("train", "--status", str(exp)).stdout


@pytest.mark.parametrize("args, message", [
    (["--max-minutes", "0"], "expected a positive number of minutes"),
    (["--max-minutes", "soon"], "expected a positive number of minutes"),
    (["trainer.max_minutes=-5"], "trainer.max_minutes must be a positive number"),
])
def test_a_bad_budget_is_one_line_and_exit_2(tmp_path, args, message):
    r = cli("train", "toy", "--outdir", str(tmp_path / "x"), *args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_status_of_a_folder_without_a_training_is_one_line_and_exit_2(tmp_path):
    r = cli("train", "--status", str(tmp_path))
    assert r.returncode == 2 and r.stderr.startswith("audiogan: error:") and "no training status" in r.stderr


def test_budget_check_in_the_trainer_config():
    from audiogan.train.optim import check_trainer_config

    config = load_config(ToyGANTask.default_config(), None, ["trainer.max_minutes=true"])
    with pytest.raises(ConfigError, match="max_minutes"):
        check_trainer_config(config)
