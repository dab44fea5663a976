"""CycleGAN-VC2 task: two-step adversarial loss, identity schedule, crops, per-group LR decay, evaluation and
the save -> load round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.errors import CheckpointError, ConfigError
from audiogan.features import world
from audiogan.models import load_for_inference
from audiogan.tasks.cyclegan_vc2 import CropPairDataset, CycleGANVC2Task
from audiogan.train.trainer import Trainer

SR = 16000


def synth_voice(f0: float, seconds: float, seed: int, formants=(700.0, 1200.0, 2600.0)) -> np.ndarray:
    """A harmonic 'voice' with a 5 Hz vibrato F0 contour, formant-shaped harmonics and a silent gap."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f = f0 * (1 + 0.04 * np.sin(2 * np.pi * 5 * t)) * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t + seed))
    phase = 2 * np.pi * np.cumsum(f) / SR
    x = np.zeros_like(t)
    for k in range(1, int(4000 / f0)):
        amp = sum(np.exp(-(((k * f0) - fm) / 200.0) ** 2) for fm in formants) + 0.05 / k
        x += amp * np.sin(k * phase)
    x *= (np.abs(t - seconds / 2) > 0.08)  # an unvoiced gap
    x += 0.003 * rng.standard_normal(t.shape)
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def make_datadir(root: Path, spk: str, f0: float, n: int, seconds: float, formants, offset: int = 0) -> Path:
    d = root / spk
    (d / "wav").mkdir(parents=True)
    lines, spk_lines = [], []
    for i in range(n):
        utt = f"{spk}_{100001 + offset + i}"
        path = d / "wav" / f"{utt}.wav"
        sf.write(path, synth_voice(f0, seconds, seed=offset + i, formants=formants), SR)
        lines.append(f"{utt} {path}\n")
        spk_lines.append(f"{utt} {spk}\n")
    (d / "wav.scp").write_text("".join(lines))
    (d / "utt2spk").write_text("".join(spk_lines))
    return d


def extract(d: Path) -> Path:
    cfg = world.WorldConfig(f0_method="dio", coded_dim=24)
    feats = world.extract_many(world.read_wav_scp(d), cfg)
    world.write_feats(feats, d / "feats", d / world.FEATS_SCP)
    world.save_world_config(d / world.WORLD_JSON, cfg)
    return d


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("vc")
    low, high = (600.0, 1100.0, 2500.0), (900.0, 1700.0, 3000.0)
    return {
        "train_a": extract(make_datadir(root / "train", "SA", 110.0, 3, 0.9, low)),
        "train_b": extract(make_datadir(root / "train", "SB", 230.0, 3, 0.9, high)),
        "dev_a": make_datadir(root / "dev", "SA", 110.0, 1, 0.6, low, offset=10),
        "dev_b": make_datadir(root / "dev", "SB", 230.0, 1, 0.6, high, offset=10),
    }


def tiny_config(corpus: dict[str, Path], **sections) -> dict:
    cfg = CycleGANVC2Task.default_config()
    cfg["model"].update(feature_dim=24, generator=dict(channels=8, down_channels=8, res_channels=8,
                                                       res_hidden_channels=16, num_residual=2),
                        discriminator=dict(channels=[8, 8, 16, 16], final_kernel=[1, 5]))
    cfg["data"].update(train_a=str(corpus["train_a"]), train_b=str(corpus["train_b"]), crop_frames=32)
    cfg["trainer"].update(max_steps=3, batch_size=2, log_interval=1, save_interval=3, eval_interval=0,
                          tensorboard=False, progress=False)
    for g in ("generator", "discriminator"):
        cfg["scheduler"][g].update(start_step=1)
    for name, values in sections.items():
        cfg[name].update(values)
    return cfg


def val(t: torch.Tensor) -> float:
    return float(t.detach())


def live_task(cfg: dict, seed: int = 0) -> CycleGANVC2Task:
    torch.manual_seed(seed)
    task = CycleGANVC2Task(cfg)
    task.nets = task.build_networks(cfg)
    return task


def a_batch(task: CycleGANVC2Task, seed: int = 0):
    ds = task.train_dataset()
    items = [ds[(i, seed + i)] for i in range(2)]
    return [torch.stack([it[0] for it in items]), torch.stack([it[1] for it in items])]


def test_generator_loss_has_second_step_term(corpus) -> None:
    task = live_task(tiny_config(corpus))
    batch = a_batch(task)
    losses = task.generator_loss(batch)
    assert {"adv", "adv2", "cycle", "identity"} <= set(losses)
    base = val(losses["loss"])
    # the second-step term's gradient reaches the generators through the cycled features
    losses["adv2"].backward()
    grad = task.nets["G_AB"].in_gate.conv.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    # silencing the second-step discriminators changes the generator loss
    with torch.no_grad():
        for name in ("D2_A", "D2_B"):
            task.nets[name].out.weight.zero_()
            task.nets[name].out.bias.zero_()
    silenced = task.generator_loss(batch)
    assert val(silenced["adv2"]) == pytest.approx(2.0)  # LSGAN, weight 1 (reference code): 2 x (0 - 1)^2
    assert abs(val(silenced["loss"]) - base) > 1e-4


def test_second_step_can_be_disabled(corpus) -> None:
    task = live_task(tiny_config(corpus, loss={"second_step": 0.0}))
    batch = a_batch(task)
    assert "adv2" not in task.generator_loss(batch)
    assert "adv2_a" not in task.discriminator_loss(batch)


def test_discriminator_loss_trains_all_four_discriminators(corpus) -> None:
    task = live_task(tiny_config(corpus))
    losses = task.discriminator_loss(a_batch(task))
    assert {"adv_a", "adv_b", "adv2_a", "adv2_b"} <= set(losses)
    losses["loss"].backward()
    for name in ("D_A", "D_B", "D2_A", "D2_B"):
        assert task.nets[name].out.weight.grad.abs().sum() > 0, name
    for name in ("G_AB", "G_BA"):  # converted features are detached for the D update
        assert all(p.grad is None for p in task.nets[name].parameters()), name


def test_cached_generation_equals_recomputing(corpus) -> None:
    task = live_task(tiny_config(corpus))
    batch = a_batch(task)
    task.discriminator_loss(batch)  # caches the converted features of this batch
    cached = task.generator_loss(batch)
    fresh = task.generator_loss(batch)
    for k in fresh:
        assert val(cached[k]) == pytest.approx(val(fresh[k]), rel=1e-5), k


def test_identity_loss_on_before_step_and_off_after(corpus) -> None:
    task = live_task(tiny_config(corpus, loss={"identity_steps": 100}))
    batch = a_batch(task)
    assert CycleGANVC2Task.default_config()["loss"]["identity_steps"] == 10000
    task.step = 99
    before = task.generator_loss(batch)
    assert task.identity_weight() == 5.0 and "identity" in before
    task.step = 100
    after = task.generator_loss(batch)
    assert task.identity_weight() == 0.0 and "identity" not in after
    expected = val(before["loss"]) - 5.0 * val(before["identity"])
    assert val(after["loss"]) == pytest.approx(expected, rel=1e-5)


def test_no_adversarial_terms_before_d_start(corpus) -> None:
    task = live_task(tiny_config(corpus))
    task.adversarial = False
    losses = task.generator_loss(a_batch(task))
    assert "adv" not in losses and "adv2" not in losses


def test_crops_are_reproducible_per_key() -> None:
    rng = np.random.default_rng(0)
    pool_a = [rng.standard_normal((24, n)).astype(np.float32) for n in (200, 300)]
    pool_b = [rng.standard_normal((24, n)).astype(np.float32) for n in (150, 400, 500)]
    ds = CropPairDataset(pool_a, pool_b, crop=128)
    assert len(ds) == 3
    a1, b1 = ds[(1, 42)]
    a2, b2 = ds[(1, 42)]
    assert a1.shape == b1.shape == (24, 128)
    assert torch.equal(a1, a2) and torch.equal(b1, b2)
    assert not torch.equal(ds[(1, 43)][0], a1) or not torch.equal(ds[(1, 43)][1], b1)


def test_short_utterances_are_padded_or_skipped() -> None:
    rng = np.random.default_rng(0)
    short = [rng.standard_normal((24, 40)).astype(np.float32)]
    long = [rng.standard_normal((24, 300)).astype(np.float32)]
    padded = CropPairDataset(short + long, long, crop=128, short="pad")
    for seed in range(5):
        a, b = padded[(0, seed)]
        assert a.shape == (24, 128) and b.shape == (24, 128)
        assert torch.equal(a[:, :40], torch.from_numpy(short[0]))  # real frames first, then wrapped copies
    skipped = CropPairDataset(short + long, long, crop=128, short="skip")
    assert skipped.skipped == {"A": 1, "B": 0} and len(skipped) == 1
    with pytest.raises(ConfigError, match="no training utterance has 128 frames"):
        CropPairDataset(short, long, crop=128, short="skip")
    with pytest.raises(ConfigError, match="multiple of 4"):
        CropPairDataset(long, long, crop=30)
    with pytest.raises(ConfigError, match="at least 8"):
        CropPairDataset(long, long, crop=4)
    tiny = CropPairDataset(long, long, crop=8)
    assert tiny[(0, 1)][0].shape == (24, 8)


def test_feature_dim_mismatch_is_a_config_error(corpus) -> None:
    cfg = tiny_config(corpus)
    cfg["model"]["feature_dim"] = 36
    with pytest.raises(ConfigError, match="feature_dim is 36"):
        CycleGANVC2Task(cfg).train_dataset()
    cfg = tiny_config(corpus)
    cfg["data"]["train_b"] = ""
    with pytest.raises(ConfigError, match="data.train_b is not set"):
        CycleGANVC2Task(cfg).train_dataset()


def test_train_save_load_round_trip(corpus, tmp_path) -> None:
    cfg = tiny_config(corpus, data={"dev_a": str(corpus["dev_a"]), "dev_b": str(corpus["dev_b"])},
                      trainer={"eval_interval": 3})
    task = CycleGANVC2Task(cfg)
    Trainer(task, tmp_path / "exp").fit()
    log = [json.loads(line) for line in (tmp_path / "exp" / "train_log.jsonl").read_text().splitlines()]
    steps = [r for r in log if "g_loss" in r]
    assert len(steps) == 3 and all("g_adv2" in r and "d_adv2_a" in r for r in steps)
    # linear decay from step 1 to max_steps, per optimizer group with its own base LR
    assert [r["lr_generator"] for r in steps] == pytest.approx([2e-4 * (1 - 0 / 2), 2e-4 * 0.5, 0.0])
    assert [r["lr_discriminator"] for r in steps] == pytest.approx([1e-4, 0.5e-4, 0.0])
    # evaluation converted the dev utterance both ways and scored it against the parallel reference
    evals = [r for r in log if "eval_mcd" in r]
    assert evals and np.isfinite(evals[0]["eval_mcd_a2b"]) and np.isfinite(evals[0]["eval_mcd_b2a"])
    assert (tmp_path / "exp" / "dev" / "step-3" / "A2B" / "100011.wav").is_file()
    assert (tmp_path / "exp" / "dev" / "step-3" / "B2A" / "100011.wav").is_file()

    bundle = load_for_inference(tmp_path / "exp", tasks=("cyclegan_vc2",), names=("G_AB", "G_BA"))
    x = torch.randn(1, 24, 77)
    with torch.no_grad():
        for name in ("G_AB", "G_BA"):
            live = task.nets[name].eval()
            assert torch.allclose(bundle.networks[name](x), live(x), atol=1e-6)
    stats = bundle.extra["stats"]
    assert set(stats) == {"A", "B"} and len(stats["A"]["sp_mean"]) == 24
    assert stats["B"]["logf0_mean"] > stats["A"]["logf0_mean"]  # B is the higher voice
    assert world.WorldConfig.from_dict(bundle.extra["world"]).coded_dim == 24


def test_wrong_family_checkpoint_is_refused(tmp_path) -> None:
    from audiogan.inference.convert import VoiceConverter
    from audiogan.tasks.toy import ToyGANTask

    cfg = ToyGANTask.default_config()
    cfg["trainer"].update(max_steps=1, save_interval=1, progress=False)
    Trainer(ToyGANTask(cfg), tmp_path / "toy").fit()
    with pytest.raises(CheckpointError, match="'toy' checkpoint"):
        VoiceConverter.from_checkpoint(tmp_path / "toy", "A2B")


def test_generator_loss_balance_is_the_reference_one(corpus) -> None:
    """cycle 10 and identity 5 against adversarial terms of weight 1: E[(D - 1)^2] per discriminator."""
    task = live_task(tiny_config(corpus))
    assert task.config["loss"]["adv_weight"] == 1.0
    batch = a_batch(task)
    for net in task.nets.values():
        net.eval()
    losses = task.generator_loss(batch)
    cfg = task.config["loss"]
    expected = (cfg["cycle"] * losses["cycle"] + task.identity_weight() * losses["identity"]
                + losses["adv"] + cfg["second_step"] * losses["adv2"])
    torch.testing.assert_close(losses["loss"], expected)
    # each adversarial term is the plain mean squared distance of the logits from 1
    a, b = batch
    with torch.no_grad():
        fake_b = task.nets["G_AB"](a)
        by_hand = ((task.nets["D_B"](fake_b) - 1) ** 2).mean()
        fake_a = task.nets["G_BA"](b)
        by_hand = by_hand + ((task.nets["D_A"](fake_a) - 1) ** 2).mean()
    assert val(losses["adv"]) == pytest.approx(val(by_hand), rel=1e-5)
    task.config["loss"]["adv_weight"] = 0.5
    halved = task.generator_loss(batch)
    assert val(losses["loss"]) - val(halved["loss"]) == pytest.approx(
        0.5 * (val(losses["adv"]) + cfg["second_step"] * val(losses["adv2"])), rel=1e-4)


def test_filling_in_frames_masks_one_run_per_item(corpus) -> None:
    task = live_task(tiny_config(corpus, data={"mask_frames": 8}))
    x = torch.randn(16, 3, 32) + 10.0  # no zeros of its own
    torch.manual_seed(0)
    y = task.mask_frames(x)
    lengths = []
    for i in range(16):
        masked = (y[i] == 0).all(dim=0)
        idx = torch.nonzero(masked).flatten()
        assert len(idx) <= 8 and (len(idx) == 0 or int(idx[-1] - idx[0]) + 1 == len(idx))  # one run
        assert torch.equal(y[i][:, ~masked], x[i][:, ~masked])
        lengths.append(len(idx))
    assert max(lengths) > 0
    off = live_task(tiny_config(corpus))
    assert off.mask_frames(x) is x


def test_filling_in_frames_cycle_targets_the_unmasked_input(corpus) -> None:
    task = live_task(tiny_config(corpus, data={"mask_frames": 12}))
    a, b = a_batch(task)
    torch.manual_seed(3)
    losses = task.generator_loss([a, b])
    torch.manual_seed(3)
    a_in, b_in = task.mask_frames(a), task.mask_frames(b)
    assert not torch.equal(a_in, a)
    G = task.nets
    with torch.no_grad():
        cycle = (torch.nn.functional.l1_loss(G["G_BA"](G["G_AB"](a_in)), a)
                 + torch.nn.functional.l1_loss(G["G_AB"](G["G_BA"](b_in)), b))
        unmasked = (torch.nn.functional.l1_loss(G["G_BA"](G["G_AB"](a)), a)
                    + torch.nn.functional.l1_loss(G["G_AB"](G["G_BA"](b)), b))
    assert val(losses["cycle"]) == pytest.approx(float(cycle), rel=1e-5)
    assert abs(float(cycle) - float(unmasked)) > 1e-6


@pytest.mark.parametrize("bad", [-1, 32, 2.5, True])
def test_bad_mask_frames_is_a_config_error(corpus, bad) -> None:
    task = CycleGANVC2Task(tiny_config(corpus, data={"mask_frames": bad}))
    with pytest.raises(ConfigError, match="mask_frames"):
        task.train_dataset()


def test_envelope_kind_must_match_the_features(corpus) -> None:
    task = CycleGANVC2Task(tiny_config(corpus, data={"envelope": "mcep"}))  # the corpus has coded envelopes
    with pytest.raises(ConfigError, match="data.envelope is 'mcep'"):
        task.train_dataset()
