"""SEGAN task on the common trainer: L1 goes down, checkpoints round-trip, validation picks best.pt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.config import load_config
from audiogan.errors import CheckpointError, ConfigError
from audiogan.models import load_for_inference
from audiogan.tasks.segan import SEGANTask
from audiogan.train.trainer import Trainer

TINY_MODEL = {
    "window": 1024,
    "g_fmaps": [8, 16, 16],
    "g_stride": 4,
    "z_dim": 8,
    "skip": "alpha",
    "d_fmaps": [8, 16, 16],
    "d_stride": 4,
    "d_norm": "batch",
    "d_phase_shift": 2,
    "d_head": "fc",
    "d_fc": [16, 8],
}


def make_pairs(root: Path, n: int, seconds: float = 1.0, seed: int = 0) -> Path:
    """Harmonic 'speech' plus white noise at about 5 dB SNR, as a data dir with wav.scp/spk1.scp."""
    rng = np.random.default_rng(seed)
    d = root / "data"
    (root / "wav").mkdir(parents=True, exist_ok=True)
    d.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(16000 * seconds)) / 16000
    wav, spk1 = [], []
    for i in range(n):
        f0 = 120 + 20 * i
        clean = sum(0.1 / k * np.sin(2 * np.pi * k * f0 * t) for k in range(1, 6)) * (
            0.6 + 0.4 * np.sin(6 * t)
        )
        noisy = clean + 0.05 * rng.standard_normal(t.size)
        sf.write(root / "wav" / f"u{i}_c.wav", clean, 16000)
        sf.write(root / "wav" / f"u{i}_n.wav", noisy, 16000)
        wav.append(f"u{i} {root / 'wav' / f'u{i}_n.wav'}\n")
        spk1.append(f"u{i} {root / 'wav' / f'u{i}_c.wav'}\n")
    (d / "wav.scp").write_text("".join(wav))
    (d / "spk1.scp").write_text("".join(spk1))
    return d


def tiny_config(data: Path, **trainer) -> dict:
    user = {
        "model": TINY_MODEL,
        "data": {"train_dir": str(data), "eval_max_utts": 2},
        "trainer": {
            "max_steps": 3,
            "batch_size": 4,
            "log_interval": 1,
            "save_interval": 100,
            "tensorboard": False,
            "progress": False,
            "device": "cpu",
            **trainer,
        },
        "optim": {"generator": {"lr": 1e-3}, "discriminator": {"lr": 1e-3}},
    }
    cfg = load_config(SEGANTask.default_config())
    from audiogan.config import merge

    cfg = merge(cfg, user)
    cfg["task"] = "segan"
    return cfg


def read_log(outdir: Path) -> list[dict]:
    return [json.loads(ln) for ln in (outdir / "train_log.jsonl").read_text().splitlines()]


def test_short_training_lowers_l1(tmp_path):
    data = make_pairs(tmp_path, 4)
    cfg = tiny_config(data, max_steps=30, d_start_step=0)
    Trainer(SEGANTask(cfg), tmp_path / "exp").fit()
    l1 = [r["g_l1"] for r in read_log(tmp_path / "exp") if "g_l1" in r]
    assert len(l1) == 30
    assert np.mean(l1[-5:]) < 0.7 * np.mean(l1[:5])
    assert all("d_adv" in r for r in read_log(tmp_path / "exp") if "g_l1" in r)


def test_checkpoint_round_trip_and_validation(tmp_path):
    data = make_pairs(tmp_path, 3)
    cfg = tiny_config(data, max_steps=3, eval_interval=3)
    cfg["data"]["dev_dir"] = str(data)
    trainer = Trainer(SEGANTask(cfg), tmp_path / "exp")
    trainer.fit()
    evals = [r for r in read_log(tmp_path / "exp") if "eval_pesq" in r]
    assert evals and {"eval_pesq", "eval_stoi", "eval_ssnr"} <= set(evals[0])
    assert (tmp_path / "exp" / "best.pt").is_file()
    assert json.loads((tmp_path / "exp" / "best.json").read_text())["metric"] == "pesq"

    bundle = load_for_inference(tmp_path / "exp", tasks=("segan",), names=("generator",))
    assert bundle.extra == {"window": 1024, "preemph": 0.95, "sample_rate": 16000}
    live = trainer.nets["generator"].eval()
    loaded = bundle.networks["generator"]
    x = torch.randn(2, 1, 1024)
    z = live.sample_z(2, 1024 // live.hop, torch.Generator().manual_seed(0))
    from audiogan.inference.denoise import load_generator

    lean, extra, _, _ = load_generator(tmp_path / "exp")  # the memory-mapped loader of `audiogan denoise`
    assert extra == bundle.extra
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, z), live(x, z))
        torch.testing.assert_close(lean(x, z), live(x, z))


def test_wgan_gp_variant_runs(tmp_path):
    data = make_pairs(tmp_path, 2)
    cfg = tiny_config(data, max_steps=2)
    cfg["loss"]["name"] = "wgan-gp"
    Trainer(SEGANTask(cfg), tmp_path / "exp").fit()
    rows = [r for r in read_log(tmp_path / "exp") if "d_gp" in r]
    assert rows and all(np.isfinite(r["d_loss"]) for r in rows)


def test_wrong_family_checkpoint(tmp_path):
    from audiogan.tasks.toy import ToyGANTask

    cfg = ToyGANTask.default_config()
    cfg["trainer"].update(max_steps=1, progress=False, device="cpu", batch_size=8)
    cfg["data"]["size"] = 16
    cfg["task"] = "toy"
    Trainer(ToyGANTask(cfg), tmp_path / "toy").fit()
    with pytest.raises(CheckpointError, match="'toy' checkpoint"):
        load_for_inference(tmp_path / "toy", tasks=("segan",), names=("generator",))


def test_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown config key 'model.g_fmap'"):
        load_config(SEGANTask.default_config(), None, ["model.g_fmap=[1]"])
    cfg = tiny_config(tmp_path)
    cfg["model"]["window"] = 1000
    with pytest.raises(ConfigError, match="multiple"):
        SEGANTask.build_networks(cfg)
    cfg = tiny_config(tmp_path)
    cfg["data"]["train_dir"] = ""
    with pytest.raises(ConfigError, match="train_dir"):
        SEGANTask(cfg).train_dataset()


ROOT = Path(__file__).resolve().parents[2]


CONFS = sorted(ROOT.glob("egs/*/segan/conf/*.yaml"))


@pytest.mark.parametrize("conf", CONFS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_configs_are_valid(conf):
    cfg = load_config(SEGANTask.default_config(), conf)
    SEGANTask(cfg)  # loss name and data settings
    if conf.name == "segan_plus.yaml":  # the released SEGAN+ generator, built from the recipe config
        from audiogan.models.segan import build_generator, count_parameters

        assert count_parameters(build_generator(cfg["model"])) == 64_770_561
    else:
        from audiogan.models.segan import check_model_config

        check_model_config(cfg["model"])


def test_virtual_batch_norm_follows_the_current_discriminator_weights(tmp_path):
    """Paper SEGAN: VBN statistics come from a fixed reference batch under the weights of each step."""
    from audiogan.nn.blocks import VirtualBatchNorm1d

    cfg = tiny_config(make_pairs(tmp_path, 3), max_steps=2)
    cfg["model"]["d_norm"] = "virtual_batch"
    trainer = Trainer(SEGANTask(cfg), tmp_path / "exp")
    trainer.fit()
    task, D = trainer.task, trainer.nets["discriminator"]
    vbn = [m for m in D.modules() if isinstance(m, VirtualBatchNorm1d)]
    assert vbn and task._vbn_ref is not None
    stale = [m.ref_mean.clone() for m in vbn]
    with torch.no_grad():  # move the weights: the next step must recompute the reference statistics
        for p in D.parameters():
            p.add_(0.05)
    task._refresh_virtual_batch_norm(task._vbn_ref)
    assert any(not torch.allclose(a, m.ref_mean) for a, m in zip(stale, vbn))
    assert all(int(m.ref_size) == task._vbn_ref.shape[0] for m in vbn)


def live_task(cfg: dict) -> SEGANTask:
    if not cfg["data"]["cache_dir"]:  # no outdir here: keep the window cache out of the working dir
        cfg["data"]["cache_dir"] = str(Path(cfg["data"]["train_dir"]).parent / "cache")
    task = SEGANTask(cfg)
    task.nets = SEGANTask.build_networks(cfg)
    return task


def test_adversarial_weight_scales_the_generator_term(tmp_path):
    data = make_pairs(tmp_path, 2)
    cfg = tiny_config(data)
    assert cfg["loss"]["adv_weight"] == 0.5  # the paper's 1/2 E[(D - 1)^2]
    torch.manual_seed(0)
    task = live_task(cfg)
    batch = torch.stack([task.train_dataset()[i] for i in range(2)])
    for name in task.nets:
        task.nets[name].eval()  # no BatchNorm statistics drift, no random phase shift between calls
    torch.manual_seed(1)
    half = task.generator_loss(batch)
    task.config["loss"]["adv_weight"] = 1.0
    torch.manual_seed(1)
    full = task.generator_loss(batch)
    torch.testing.assert_close(half["adv"], full["adv"])
    torch.testing.assert_close(full["loss"] - half["loss"], 0.5 * full["adv"])
    task.config["loss"]["adv_weight"] = 0.0
    assert "adv" not in task.generator_loss(batch)


def test_segan_plus_config_uses_weight_one():
    import yaml

    conf = Path(__file__).resolve().parents[2] / "egs/mini/segan/conf/segan_plus.yaml"
    assert yaml.safe_load(conf.read_text())["loss"]["adv_weight"] == 1.0


def test_stft_loss_is_added_with_its_weight(tmp_path):
    data = make_pairs(tmp_path, 2)
    cfg = tiny_config(data)
    cfg["loss"].update(stft_weight=2.0, adv_weight=0.0)
    task = live_task(cfg)
    batch = torch.stack([task.train_dataset()[i] for i in range(2)])
    out = task.generator_loss(batch)
    assert float(out["stft"].detach()) > 0
    torch.testing.assert_close(out["loss"], 100.0 * out["l1"] + 2.0 * out["stft"])


def test_virtual_batch_norm_reference_is_drawn_across_the_cache(tmp_path):
    data = make_pairs(tmp_path, 6, seconds=2.0)
    cfg = tiny_config(data)
    cfg["model"]["d_norm"] = "virtual_batch"
    task = live_task(cfg)
    windows = task.train_dataset()
    batch = torch.stack([windows[i] for i in range(4)])
    task._refresh_virtual_batch_norm(batch)
    ref = task._vbn_ref
    pairs = [torch.cat([windows[i][1:], windows[i][:1]]) for i in range(len(windows))]
    picked = [next(i for i, p in enumerate(pairs) if torch.equal(p, r)) for r in ref]
    assert picked != list(range(4)), "the reference batch must not be the first windows of the cache"
    again = live_task(cfg)
    again.train_dataset()
    again._refresh_virtual_batch_norm(batch)
    torch.testing.assert_close(again._vbn_ref, ref)  # seeded: a resumed run draws the same batch


def mix_dirs(root: Path) -> tuple[Path, Path]:
    """Tiny clean-speech and noise data dirs for on-the-fly mixtures."""
    from tests.data.test_mix import speechy, write_dir

    clean = write_dir(root / "clean", {f"s{k}-u{k}": (speechy(0.5, seed=k), 16000) for k in range(3)})
    rng = np.random.default_rng(0)
    white = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    noise = write_dir(root / "noise", {"white": (white, 16000)})
    return clean, noise


ON_THE_FLY_MIX = {"p_reverb": 0.0, "rir_count": 0, "p_babble": 0.5, "p_eq": 0.5, "p_telephone": 0.5}


def test_on_the_fly_mixtures_train_segan(tmp_path):
    clean, noise = mix_dirs(tmp_path)
    cfg = tiny_config(tmp_path, max_steps=3, d_start_step=0)
    cfg["data"].update(train_dir="", clean_dir=str(clean), noise_dir=str(noise), epoch_size=8,
                       cache_dir=str(tmp_path / "cache"), mix=dict(cfg["data"]["mix"], **ON_THE_FLY_MIX))
    task = SEGANTask(cfg)
    windows = task.train_dataset()
    assert len(windows) == 8
    w = windows[(2, 99)]
    assert w.shape == (2, 1024) and w.dtype == torch.float32
    torch.testing.assert_close(w, windows[(2, 99)])  # a pure function of the sampler key
    from audiogan.dsp import preemphasis

    raw = windows.mixtures[(2, 99)]
    torch.testing.assert_close(w[1].numpy(), preemphasis(raw["clean"].numpy()[None], 0.95)[0])
    Trainer(task, tmp_path / "exp").fit()
    rows = [r for r in read_log(tmp_path / "exp") if "g_l1" in r]
    assert len(rows) == 3 and all(np.isfinite(r["g_loss"]) for r in rows)


def test_on_the_fly_config_errors(tmp_path):
    clean, noise = mix_dirs(tmp_path)
    cfg = tiny_config(tmp_path / "pairs")
    cfg["data"]["clean_dir"] = str(clean)  # with train_dir too, and without noise_dir
    with pytest.raises(ConfigError, match="clean_dir and data.noise_dir"):
        SEGANTask(cfg).train_dataset()
    with pytest.raises(ConfigError, match="unknown config key 'data.mix.p_rverb'"):
        load_config(SEGANTask.default_config(), None, ["data.mix.p_rverb=0.5"])
    cfg = tiny_config(tmp_path)
    cfg["data"]["mix"]["p_eq"] = 2.0
    with pytest.raises(ConfigError, match="p_eq"):
        SEGANTask(cfg)
