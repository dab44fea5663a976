"""StarGAN-VC2 task: speaker crops, speakers from the data, losses, a 3-step training with evaluation and the
checkpoint -> converter round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.errors import ConfigError
from audiogan.features import world
from audiogan.inference.loading import load_star_converter_model, model_speakers
from audiogan.tasks.stargan_vc2 import SpeakerCropDataset, StarGANVC2Task
from audiogan.train.trainer import Trainer

SR = 16000
SPEAKERS = {"SA": 110.0, "SB": 170.0, "SC": 240.0}  # speaker -> F0 [Hz]


def features(spk: str, f0: float, seed: int, frames: int) -> dict[str, np.ndarray]:
    """Synthetic WORLD features: a speaker-specific envelope (offset by its F0) with noise, F0 with gaps."""
    rng = np.random.default_rng(seed)
    base = np.linspace(-1, 1, 24) * (f0 / 100.0)
    coded = (base + 0.3 * rng.standard_normal((frames, 24))).astype(np.float32)
    f0s = (f0 * (1 + 0.05 * rng.standard_normal(frames))).astype(np.float32)
    f0s[rng.random(frames) < 0.2] = 0.0
    return {"f0": f0s, "coded_sp": coded, "coded_ap": np.zeros((frames, 1), np.float32)}


def voice(f0: float, seconds: float, seed: int) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.04 * np.sin(2 * np.pi * 5 * t + seed))) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, int(3500 / f0)))
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("star")
    cfg = world.WorldConfig(f0_method="dio", coded_dim=24)
    train, dev = [], []
    for k, (spk, f0) in enumerate(SPEAKERS.items()):
        d = root / f"train_{spk}"
        d.mkdir()
        feats = {f"{spk}_10000{i}": features(spk, f0, 10 * k + i, 60 + 20 * i) for i in range(3)}
        world.write_feats(feats, d / "feats", d / world.FEATS_SCP)
        world.save_world_config(d / world.WORLD_JSON, cfg)
        (d / "utt2spk").write_text("".join(f"{u} {spk}\n" for u in sorted(feats)))
        train.append(d)
        dv = root / f"dev_{spk}"
        (dv / "wav").mkdir(parents=True)
        sf.write(dv / "wav" / "a.wav", voice(f0, 0.5, k), SR)
        (dv / "wav.scp").write_text(f"{spk}_200001 {dv / 'wav' / 'a.wav'}\n")
        (dv / "utt2spk").write_text(f"{spk}_200001 {spk}\n")
        dev.append(dv)
    return {"train": train, "dev": dev}


def tiny_config(corpus, **sections) -> dict:
    cfg = StarGANVC2Task.default_config()
    cfg["model"].update(feature_dim=24, generator=dict(channels=8, down_channels=8, res_channels=8,
                                                       res_hidden_channels=16, num_residual=2,
                                                       condition="pair"),
                        discriminator=dict(channels=[8, 8, 16], final_kernel=[1, 5], pooling="sum"))
    cfg["data"].update(train_dirs=[str(p) for p in corpus["train"]], crop_frames=32)
    cfg["trainer"].update(max_steps=3, batch_size=2, log_interval=1, save_interval=3, eval_interval=0,
                          tensorboard=False, progress=False)
    for name, values in sections.items():
        cfg[name].update(values)
    return cfg


def live_task(cfg: dict) -> StarGANVC2Task:
    torch.manual_seed(0)
    task = StarGANVC2Task(cfg)
    task.nets = task.build_networks(cfg)
    return task


def a_batch(task: StarGANVC2Task, seed: int = 0):
    ds = task.train_dataset()
    items = [ds[(i * 3, seed + i)] for i in range(2)]
    return [torch.stack([it[0] for it in items]), torch.stack([it[1] for it in items]),
            torch.tensor([it[2] for it in items]), torch.tensor([it[3] for it in items])]


def test_speaker_crops_draw_every_other_speaker_as_target() -> None:
    rng = np.random.default_rng(0)
    pools = [[rng.standard_normal((24, n)).astype(np.float32) + k for n in (50, 90)] for k in range(3)]
    ds = SpeakerCropDataset(pools, ["a", "b", "c"], crop=32)
    assert len(ds) == 6
    seen = set()
    for seed in range(60):
        x, y, src, tgt = ds[(seed % 6, seed)]
        assert x.shape == y.shape == (24, 32) and src == (seed % 6) // 2 and tgt != src
        assert abs(float(x.mean()) - src) < 0.5 and abs(float(y.mean()) - tgt) < 0.5  # those speakers' crops
        seen.add((src, tgt))
    assert len(seen) == 6  # all ordered pairs of different speakers
    assert all(torch.equal(a, b) for a, b in zip(ds[(3, 7)][:2], ds[(3, 7)][:2]))  # reproducible per key
    with pytest.raises(ConfigError, match="speaker b: no training utterance has 64 frames"):
        SpeakerCropDataset([pools[0][1:], pools[1][:1], pools[2]], ["a", "b", "c"], crop=64, short="skip")


def test_speakers_come_from_the_data(corpus) -> None:
    task = StarGANVC2Task(tiny_config(corpus))
    assert task.config["model"]["speakers"] == ["SA", "SB", "SC"]
    named = StarGANVC2Task(tiny_config(corpus, data={"speakers": ["x", "y", "z"]}))
    assert named.config["model"]["speakers"] == ["x", "y", "z"]
    with pytest.raises(ConfigError, match="differ from the training data's speakers"):
        StarGANVC2Task(tiny_config(corpus, model={"speakers": ["SA", "SC", "SB"]}))
    with pytest.raises(ConfigError, match="at least 2 speakers"):
        StarGANVC2Task(tiny_config(corpus, data={"train_dirs": [str(corpus["train"][0])]}))
    with pytest.raises(ConfigError, match="feature_dim is 36"):
        StarGANVC2Task(tiny_config(corpus, model={"feature_dim": 36})).train_dataset()


def test_losses_and_identity_schedule(corpus) -> None:
    task = live_task(tiny_config(corpus, loss={"identity_steps": 10}))
    batch = a_batch(task)
    d = task.discriminator_loss(batch)  # caches the converted crops for the generator step
    d["loss"].backward()
    assert task.nets["discriminator"].embed.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in task.nets["generator"].parameters())  # fakes detached for D
    g = task.generator_loss(batch)
    assert {"adv", "cycle", "identity"} <= set(g)
    expected = 10.0 * g["cycle"] + 5.0 * g["identity"] + g["adv"]
    torch.testing.assert_close(g["loss"], expected)
    g["loss"].backward()
    assert task.nets["generator"].blocks[0].norm.gamma.weight.grad.abs().sum() > 0  # CIN is trained
    task.step = 10
    assert task.identity_weight() == 0.0 and "identity" not in task.generator_loss(batch)
    task.adversarial = False
    assert "adv" not in task.generator_loss(batch)


def test_three_training_steps_evaluate_and_round_trip(corpus, tmp_path) -> None:
    cfg = tiny_config(corpus, data={"dev_dirs": [str(p) for p in corpus["dev"]], "dev_pairs": ["SA:SC"]},
                      trainer={"eval_interval": 3})
    task = StarGANVC2Task(cfg)
    Trainer(task, tmp_path / "exp").fit()
    log = [json.loads(line) for line in (tmp_path / "exp" / "train_log.jsonl").read_text().splitlines()]
    steps = [r for r in log if "g_loss" in r]
    assert len(steps) == 3 and all(np.isfinite(r["g_loss"]) and "d_adv" in r for r in steps)
    evals = [r for r in log if "eval_mcd" in r]
    assert evals and np.isfinite(evals[0]["eval_mcd_SA_SC"])  # one dev pair, scored on its parallel reference
    assert (tmp_path / "exp" / "dev" / "step-3" / "SA_to_SC" / "200001.wav").is_file()

    model = load_star_converter_model(tmp_path / "exp")
    assert model.speakers == ["SA", "SB", "SC"] == model_speakers(tmp_path / "exp")
    assert model.stats["SC"].logf0_mean > model.stats["SB"].logf0_mean > model.stats["SA"].logf0_mean
    x = torch.randn(1, 24, 40)
    src, tgt = torch.tensor([0]), torch.tensor([2])
    with torch.no_grad():
        torch.testing.assert_close(model.generator(x, src, tgt), task.nets["generator"].eval()(x, src, tgt))
