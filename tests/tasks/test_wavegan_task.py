"""WaveGAN and classifier tasks on the common trainer: losses, data, sample dumps, checkpoints."""

import math

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.config import load_config
from audiogan.data.clips import ClipDataset, fit_length, list_clips, subset
from audiogan.errors import CheckpointError, ConfigError, DataDirError
from audiogan.models import load_for_inference
from audiogan.nn.losses import gradient_penalty
from audiogan.tasks.classifier import ClassifierTask
from audiogan.tasks.wavegan import WaveGANTask
from audiogan.train.trainer import Trainer


def tones(root, labels=("low", "high"), per_label=6, sr=16000):
    """Labelled folders of short tones (some shorter and some longer than 16384 samples)."""
    rng = np.random.default_rng(0)
    for j, name in enumerate(labels):
        (root / name).mkdir(parents=True)
        for i in range(per_label):
            n = 12000 if i % 2 else 20000
            f = (300 if j == 0 else 2500) * (1 + 0.05 * i)
            x = 0.5 * np.sin(2 * np.pi * f * np.arange(n) / sr) + 0.01 * rng.standard_normal(n)
            sf.write(root / name / f"spk{i % 3}_{name}_{i}.wav", x.astype(np.float32), sr)
    return root


def tiny_wavegan(tmp_path, **over):
    overrides = [
        f"data.train_dir={tmp_path / 'data'}",
        "model.dim=2",
        "trainer.batch_size=2",
        "trainer.n_critic=1",
        "trainer.max_steps=2",
        "trainer.save_interval=2",
        "trainer.eval_interval=2",
        "trainer.progress=false",
        "trainer.tensorboard=false",
        "eval.num_samples=3",
    ]
    overrides += [f"{k}={v}" for k, v in over.items()]
    return load_config(WaveGANTask.default_config(), None, overrides)


@pytest.fixture
def data(tmp_path):
    return tones(tmp_path / "data")


def test_defaults_are_the_papers():
    c = WaveGANTask.default_config()
    assert c["loss"]["gan"] == "wgan-gp" and c["loss"]["gp_weight"] == 10.0
    assert c["trainer"]["n_critic"] == 5 and c["trainer"]["batch_size"] == 64
    for group in ("generator", "discriminator"):
        assert c["optim"][group]["lr"] == 1e-4 and c["optim"][group]["betas"] == [0.5, 0.9]
    assert c["model"]["dim"] == 64 and c["model"]["latent_dim"] == 100 and c["model"]["phase_shuffle"] == 2
    assert c["data"]["sample_rate"] == 16000 and c["model"]["slice_len"] == 16384


def test_gradient_penalty_of_a_linear_critic_is_analytic():
    # D(x) = w.x has gradient w everywhere, so GP = (||w|| - 1)^2 whatever the interpolates
    torch.manual_seed(0)
    w = torch.randn(1, 1, 64) * 0.3

    def critic(x):
        return (x * w).sum(dim=(1, 2))

    real, fake = torch.randn(5, 1, 64), torch.randn(5, 1, 64)
    gp = gradient_penalty(critic, real, fake)
    assert math.isclose(float(gp), (float(w.norm()) - 1) ** 2, rel_tol=1e-5)


def test_losses_have_the_wgan_gp_terms(data, tmp_path):
    torch.manual_seed(0)
    task = WaveGANTask(tiny_wavegan(tmp_path))
    task.nets = task.build_networks(task.config)
    batch = {"audio": torch.rand(2, 1, 16384) * 2 - 1}
    d = task.discriminator_loss(batch)
    assert set(d) >= {"loss", "gp", "wdist", "adv"}
    assert torch.isclose(d["loss"], d["adv"] + 10 * d["gp"])
    d["loss"].backward()
    assert all(p.grad is not None for p in task.nets["discriminator"].parameters())
    g = task.generator_loss(batch)
    g["loss"].backward()
    assert all(p.grad is not None for p in task.nets["generator"].parameters())


def test_other_losses_from_the_zoo(data, tmp_path):
    task = WaveGANTask(tiny_wavegan(tmp_path, **{"loss.gan": "ralsgan", "loss.r1_weight": 1.0}))
    task.nets = task.build_networks(task.config)
    batch = {"audio": torch.zeros(2, 1, 16384)}
    assert "r1" in task.discriminator_loss(batch) and "gp" not in task.discriminator_loss(batch)
    assert torch.isfinite(task.generator_loss(batch)["loss"])
    with pytest.raises(ConfigError, match="unknown GAN loss"):
        WaveGANTask(tiny_wavegan(tmp_path, **{"loss.gan": "nope"}))


def test_bad_model_config_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="slice_len"):
        WaveGANTask.build_networks(tiny_wavegan(tmp_path, **{"model.slice_len": 16000}))


def test_dataset_pads_symmetrically_and_crops_reproducibly(data):
    clips = list_clips(data)
    assert [c.label for c in clips].count("low") == 6
    ds = ClipDataset(clips, 16000, 16384)
    short = next(i for i, c in enumerate(clips) if sf.info(c.path).frames == 12000)
    x = ds[(short, 5)]["audio"][0].numpy()
    assert x.shape == (16384,)
    left = (16384 - 12000) // 2
    assert not x[:left].any() and not x[left + 12000 :].any() and x[left] != 0
    long = next(i for i, c in enumerate(clips) if sf.info(c.path).frames == 20000)
    a, b, c = ds[(long, 1)]["audio"], ds[(long, 1)]["audio"], ds[(long, 2)]["audio"]
    assert torch.equal(a, b) and not torch.equal(a, c)
    full = sf.read(clips[long].path, dtype="float32")[0]
    start = int(
        np.argmin([np.abs(full[s : s + 16384] - a[0].numpy()).max() for s in range(0, 20000 - 16384 + 1)])
    )
    assert np.allclose(full[start : start + 16384], a[0].numpy())  # a window of the clip itself
    assert float(a.abs().max()) <= 1.0


def test_fit_length_and_subset():
    x = np.ones((1, 5), np.float32)
    assert fit_length(x, 8).tolist() == [[0, 1, 1, 1, 1, 1, 0, 0]]
    assert fit_length(np.arange(10.0)[None], 4).tolist() == [[3, 4, 5, 6]]  # centred without an RNG
    assert len(subset(list(range(100)), 10)) == 10 and subset([1, 2], 10) == [1, 2]


def test_loud_clips_are_scaled_to_peak_one(tmp_path):
    (tmp_path / "d").mkdir()
    sf.write(tmp_path / "d" / "a.wav", np.full(100, 0.25, np.float32), 16000)
    sf.write(tmp_path / "d" / "b.wav", np.full(100, 0.25, np.float32), 8000)  # resampled to 16 kHz
    clips = list_clips(tmp_path / "d")
    quiet = ClipDataset(clips, 16000, 16384)[0]["audio"]
    assert math.isclose(float(quiet.max()), 0.25, rel_tol=1e-6)
    loud = ClipDataset(clips, 16000, 16384, normalize=True)[0]["audio"]
    assert math.isclose(float(loud.max()), 1.0, rel_tol=1e-6)
    assert ClipDataset(clips, 16000, 16384)[1]["audio"].shape == (1, 16384)


def test_data_dir_with_wav_scp(tmp_path, data):
    d = tmp_path / "dd"
    d.mkdir()
    clips = list_clips(data)
    (d / "wav.scp").write_text("".join(f"u{i} {c.path}\n" for i, c in enumerate(clips)))
    (d / "utt2label").write_text("".join(f"u{i} {c.label}\n" for i, c in enumerate(clips)))
    got = list_clips(d)
    assert len(got) == len(clips) and {c.label for c in got} == {"low", "high"}
    assert ClipDataset(got, 16000, 16384)[(0, 1)]["audio"].shape == (1, 16384)
    with pytest.raises(DataDirError):
        list_clips(tmp_path / "missing")


def test_train_save_load_round_trip_and_sample_dumps(data, tmp_path):
    exp = tmp_path / "exp"
    task = WaveGANTask(tiny_wavegan(tmp_path, **{"trainer.ema_decay": 0.5}))
    Trainer(task, exp).fit()
    folder = exp / "samples" / "step-0000002"
    assert sorted(p.name for p in folder.iterdir()) == [
        "grid.png",
        "sample_000.wav",
        "sample_001.wav",
        "sample_002.wav",
    ]
    assert sf.info(folder / "sample_000.wav").frames == 16384
    bundle = load_for_inference(exp, tasks=("wavegan",), names=("generator",))
    assert bundle.extra["sample_rate"] == 16000 and bundle.step == 2
    z = torch.rand(2, 100) * 2 - 1
    live = task.nets["generator"].eval()
    assert not torch.equal(live(z), bundle.networks["generator"](z))  # the live weights are not the EMA ones
    from audiogan.train.checkpoint import load

    state = load(exp / "checkpoints" / "checkpoint-2.pt")
    live.load_state_dict(state["ema"]["generator"])
    assert torch.equal(live(z), bundle.networks["generator"](z))


def test_round_trip_without_ema_matches_the_live_model(data, tmp_path):
    exp = tmp_path / "exp"
    task = WaveGANTask(tiny_wavegan(tmp_path, **{"trainer.eval_interval": 0, "model.upsample": "nn"}))
    Trainer(task, exp).fit()
    g = load_for_inference(exp, tasks=("wavegan",), names=("generator",)).networks["generator"]
    z = torch.rand(3, 100) * 2 - 1
    assert torch.equal(task.nets["generator"].eval()(z), g(z))
    with pytest.raises(CheckpointError, match="needs classifier"):
        load_for_inference(exp, tasks=("classifier",))


def test_classifier_task_learns_tones_and_reports_accuracy(tmp_path):
    tones(tmp_path / "data", per_label=10)
    config = load_config(
        ClassifierTask.default_config(),
        None,
        [
            f"data.train_dir={tmp_path / 'data'}",
            "data.valid_fraction=0.3",
            "model.width=4",
            "trainer.batch_size=8",
            "trainer.max_steps=12",
            "trainer.eval_interval=6",
            "trainer.save_interval=6",
            "trainer.progress=false",
            "trainer.tensorboard=false",
            "optim.generator.lr=0.01",
        ],
    )
    task = ClassifierTask(config)
    assert config["model"]["labels"] == ["high", "low"]
    # the held-out speakers are not in the training set
    assert not {c.speaker or c.utt for c in task._train} & {c.speaker or c.utt for c in task._valid}
    Trainer(task, tmp_path / "exp").fit()
    assert (tmp_path / "exp" / "best.pt").is_file()
    metrics = task.evaluate(tmp_path / "exp")
    assert metrics["accuracy"] >= 0.75
    bundle = load_for_inference(tmp_path / "exp", tasks=("classifier",))
    assert bundle.extra["labels"] == ["high", "low"]


def test_classifier_needs_labels(tmp_path):
    (tmp_path / "flat").mkdir()
    for i in range(4):
        sf.write(tmp_path / "flat" / f"{i}.wav", np.zeros(100, np.float32), 16000)
    config = load_config(ClassifierTask.default_config(), None, [f"data.train_dir={tmp_path / 'flat'}"])
    with pytest.raises(DataDirError, match="no label"):
        ClassifierTask(config)


def test_conditional_training_stores_the_labels_and_uses_them(data, tmp_path):
    exp = tmp_path / "exp"
    over = {"model.num_classes": 2, "model.embed_dim": 4, "trainer.max_steps": 3, "trainer.save_interval": 3,
            "trainer.eval_interval": 3, "loss.diffaugment": "shift,gain,cutout"}
    task = WaveGANTask(tiny_wavegan(tmp_path, **over))
    assert task.config["model"]["labels"] == ["high", "low"]  # from the folders, before the networks
    assert task.best_metric == "word_accuracy"
    Trainer(task, exp).fit()
    names = sorted(p.name for p in (exp / "samples" / "step-0000003").glob("*.wav"))
    assert names == ["sample_000_high.wav", "sample_001_low.wav", "sample_002_high.wav"]
    bundle = load_for_inference(exp, tasks=("wavegan",), names=("generator",))
    assert bundle.extra["labels"] == ["high", "low"] and bundle.step == 3
    g, z = bundle.networks["generator"], torch.rand(2, 100) * 2 - 1
    with pytest.raises(ValueError, match="conditional"):
        g(z)
    assert not torch.equal(g(z, torch.tensor([0, 0])), g(z, torch.tensor([1, 1])))


def test_conditional_config_errors(data, tmp_path):
    with pytest.raises(ConfigError, match="has 2 labels"):
        WaveGANTask(tiny_wavegan(tmp_path, **{"model.num_classes": 3}))
    with pytest.raises(ConfigError, match="diffaugment"):
        WaveGANTask(tiny_wavegan(tmp_path, **{"loss.diffaugment": "rotate"}))
    unlabelled = tmp_path / "flat"
    unlabelled.mkdir()
    sf.write(unlabelled / "a.wav", np.zeros(1600, np.float32), 16000)
    with pytest.raises(DataDirError, match="no label"):
        WaveGANTask(tiny_wavegan(tmp_path, **{"model.num_classes": 1, "data.train_dir": unlabelled}))
