"""audiogan.tasks.toy: the Gaussian-mixture data, the sliced Wasserstein distance it is judged by, each loss
option's terms, WGAN weight clipping, and a short training run whose losses and distance move."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from audiogan.config import load_config
from audiogan.errors import ConfigError
from audiogan.tasks.toy import MixtureDataset, ToyGANTask, sliced_wasserstein
from audiogan.train.trainer import Trainer

MEANS = [[-2.0, -2.0], [-2.0, 2.0], [2.0, -2.0], [2.0, 2.0]]


def toy_task(*overrides: str) -> ToyGANTask:
    config = load_config(
        ToyGANTask.default_config(), None, ["trainer.progress=false", "trainer.tensorboard=false", *overrides]
    )
    config["task"] = "toy"
    return ToyGANTask(config)


def with_networks(task: ToyGANTask, seed: int = 0) -> ToyGANTask:
    """What the trainer does before the first step: build the networks."""
    torch.manual_seed(seed)
    task.nets = ToyGANTask.build_networks(task.config)
    return task


# -- data ----------------------------------------------------------------------------------------------
def test_mixture_samples_are_fixed_by_the_seed_and_sit_on_the_modes():
    a, b = MixtureDataset(MEANS, 0.3, 2000, seed=1), MixtureDataset(MEANS, 0.3, 2000, seed=1)
    assert len(a) == 2000 and a.samples.dtype == np.float32 and a.samples.shape == (2000, 2)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, MixtureDataset(MEANS, 0.3, 2000, seed=2).samples)
    d = np.linalg.norm(a.samples[:, None, :] - np.array(MEANS)[None], axis=2)
    nearest = d.argmin(1)
    assert d.min(1).max() < 5 * 0.3 * math.sqrt(2)  # every sample belongs to a mode
    assert np.bincount(nearest, minlength=4).min() > 400  # all four modes, about equally
    spread = a.samples - np.array(MEANS)[nearest]
    assert spread.std() == pytest.approx(0.3, rel=0.05)
    # the trainer's (index, seed) keys read the same fixed sample: no augmentation in the toy data
    assert torch.equal(a[(5, 123)], torch.from_numpy(a.samples[5])) and torch.equal(a[5], a[(5, 9)])


def test_one_dimensional_mixtures_work_too():
    ds = MixtureDataset([[-1.0], [1.0]], 0.1, 100, seed=0)
    assert ds.samples.shape == (100, 1) and ds[0].shape == (1,)


# -- the evaluation distance ---------------------------------------------------------------------------
def test_sliced_wasserstein_is_a_distance_between_samples():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 2))
    assert sliced_wasserstein(a, a) == 0.0
    assert sliced_wasserstein(a, a[rng.permutation(500)]) == pytest.approx(0.0, abs=1e-12)  # order-free
    b = rng.standard_normal((500, 2)) + [1.0, 0.0]
    assert sliced_wasserstein(a, b) == pytest.approx(sliced_wasserstein(b, a))
    # in 1-D it is the exact W1: a shift by c moves every sorted sample by c
    x = rng.standard_normal((300, 1))
    assert sliced_wasserstein(x, x + 0.7) == pytest.approx(0.7)
    # a shift by v in 2-D: the mean of |v . d| over unit directions, 2|v|/pi on average
    assert sliced_wasserstein(a, a + [3.0, 0.0], projections=4096) == pytest.approx(6 / math.pi, rel=0.03)
    assert sliced_wasserstein(a, 2 * a) > sliced_wasserstein(a, 1.1 * a) > 0
    with pytest.raises(ValueError, match="differ in shape"):
        sliced_wasserstein(a, a[:10])


# -- losses ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides, terms",
    [
        ([], {"adv"}),
        (["loss.name=wgan-gp"], {"adv", "gp"}),
        (["loss.r1_weight=2.0"], {"adv", "r1"}),
        (["loss.name=hinge"], {"adv"}),
    ],
)
def test_discriminator_loss_is_the_weighted_sum_of_its_terms(overrides, terms):
    task = with_networks(toy_task(*overrides))
    real = torch.from_numpy(task.train_dataset().samples[:64])
    torch.manual_seed(1)
    out = task.discriminator_loss(real)
    assert set(out) == terms | {"loss"} and all(v.ndim == 0 and torch.isfinite(v) for v in out.values())
    cfg = task.config["loss"]
    want = out["adv"] + cfg["gp_weight"] * out.get("gp", 0) + 0.5 * cfg["r1_weight"] * out.get("r1", 0)
    torch.testing.assert_close(out["loss"], want)
    assert out["loss"].requires_grad
    g = task.generator_loss(real)
    assert set(g) == {"loss", "adv"} and torch.equal(g["loss"], g["adv"]) and g["loss"].requires_grad


def test_untrained_ns_discriminator_is_at_chance():
    task = with_networks(toy_task())
    with torch.no_grad():
        for p in task.nets["discriminator"][-1].parameters():
            p.zero_()  # logits 0 for every input
    out = task.discriminator_loss(torch.zeros(8, 2))
    assert float(out["adv"].detach()) == pytest.approx(2 * math.log(2), rel=1e-6)  # -log(1/2) twice


def test_wgan_clips_the_critic_after_each_of_its_updates_only():
    task = with_networks(toy_task("loss.name=wgan", "loss.clip=0.05"))
    critic = task.nets["discriminator"]
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(100)
    task.after_update("generator")
    assert max(float(p.detach().abs().max()) for p in critic.parameters()) > 0.05  # not after a G update
    task.after_update("discriminator")
    assert max(float(p.detach().abs().max()) for p in critic.parameters()) == pytest.approx(0.05)
    ns = with_networks(toy_task())
    before = [p.clone() for p in ns.nets["discriminator"].parameters()]
    ns.after_update("discriminator")  # other losses never clip
    assert all(torch.equal(a, b) for a, b in zip(before, ns.nets["discriminator"].parameters()))


def test_unknown_loss_name_fails_when_the_task_is_made():
    with pytest.raises(ConfigError, match="unknown GAN loss 'nope'"):
        toy_task("loss.name=nope")


# -- a short run ------------------------------------------------------------------------------------------
def test_sixty_steps_move_the_losses_and_bring_samples_closer(tmp_path):
    task = toy_task("trainer.max_steps=60", "trainer.log_interval=1", "trainer.save_interval=1000",
                    "data.size=1024", "model.hidden=32")
    trainer = Trainer(task, tmp_path)
    trainer._setup()
    real = task.train_dataset().samples
    torch.manual_seed(0)
    before = sliced_wasserstein(task.sample(len(real)), real)
    trainer.fit()
    torch.manual_seed(0)
    after = sliced_wasserstein(task.sample(len(real)), real)
    log = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    d = [r["d_adv"] for r in log if "d_adv" in r]
    g = [r["g_adv"] for r in log if "g_adv" in r]
    assert len(d) == len(g) == 60
    assert d[0] == pytest.approx(2 * math.log(2), abs=0.1)  # starts at chance ...
    assert np.mean(d[-10:]) < d[0] - 0.15  # ... and the discriminator learns to tell them apart
    assert np.mean(g[-10:]) > g[0]  # which makes the generator's loss rise
    assert after < 0.75 * before
    assert task.evaluate(tmp_path)["sw1"] == pytest.approx(after, rel=0.2)  # evaluate reports the same
