"""CTF-GAN task on the common trainer: a 3-step training on tiny on-the-fly mixtures, the metric
discriminator's PESQ targets, validation and the checkpoint's inference state."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.config import load_config, merge
from audiogan.errors import ConfigError
from audiogan.models import load_for_inference
from audiogan.tasks.ctfgan import CTFGANTask, si_sdr_loss
from audiogan.tasks.pesq_targets import PesqTargets, normalised_pesq
from audiogan.train.trainer import Trainer

SR = 16000
TINY_MODEL = {"channels": 4, "hidden": 4, "dilations": [1, 2], "rnn_layers": 1, "disc_channels": 4}


def speechlike(seconds: float, f0: float, seed: int = 0) -> np.ndarray:
    """Harmonics of ``f0`` with a syllable-rate on/off envelope (PESQ finds 'utterances' in it)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * seconds)) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6)) / k for k in range(1, 10))
    env = (np.sin(2 * np.pi * 3 * t) > -0.2) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t) ** 2)
    return (0.05 * x * env).astype(np.float32)


def _dir(root: Path, name: str, signals: dict[str, np.ndarray], scp: str = "wav.scp") -> Path:
    d = root / name
    (d / "wav").mkdir(parents=True, exist_ok=True)
    lines = []
    for utt, x in signals.items():
        sf.write(d / "wav" / f"{utt}-{scp}.wav", x, SR)
        lines.append(f"{utt} {d / 'wav' / f'{utt}-{scp}.wav'}\n")
    (d / scp).write_text("".join(lines))
    return d


def make_dirs(root: Path) -> tuple[Path, Path, Path]:
    """Clean speech (2 'speakers'), noise, and a fixed-mixture dev dir."""
    rng = np.random.default_rng(1)
    clean = _dir(root, "clean", {f"s{i % 2}-u{i}": speechlike(2.0, 110 + 25 * i, i) for i in range(4)})
    (clean / "utt2spk").write_text("".join(f"s{i % 2}-u{i} s{i % 2}\n" for i in range(4)))
    noises = {f"n{i}": (0.02 * rng.standard_normal(3 * SR)).astype(np.float32) for i in range(2)}
    noise = _dir(root, "noise", noises)
    dev_clean = {f"d{i}": speechlike(2.0, 140 + 30 * i, 10 + i) for i in range(2)}
    dev_noisy = {u: x + (0.01 * rng.standard_normal(x.size)).astype(np.float32) for u, x in dev_clean.items()}
    dev = _dir(root, "dev", dev_noisy)
    _dir(root, "dev", dev_clean, scp="spk1.scp")
    return clean, noise, dev


def tiny_config(root: Path, **trainer) -> dict:
    clean, noise, dev = make_dirs(root)
    user = {
        "model": TINY_MODEL,
        "data": {"clean_dir": str(clean), "noise_dir": str(noise), "dev_dir": str(dev),
                 "segment_seconds": 1.0, "epoch_size": 16, "eval_max_utts": 2,
                 "cache_dir": str(root / "cache"),
                 "mix": {"p_reverb": 0.0}},
        "loss": {"pesq_items": 2},
        "trainer": {"max_steps": 3, "batch_size": 2, "log_interval": 1, "save_interval": 100,
                    "d_start_step": 1, "tensorboard": False, "progress": False, "device": "cpu", **trainer},
    }
    cfg = merge(load_config(CTFGANTask.default_config()), user)
    cfg["task"] = "ctfgan"
    return cfg


def read_log(outdir: Path) -> list[dict]:
    return [json.loads(ln) for ln in (outdir / "train_log.jsonl").read_text().splitlines()]


def test_three_steps_train_validate_and_reload(tmp_path):
    cfg = tiny_config(tmp_path, eval_interval=3)
    trainer = Trainer(CTFGANTask(cfg), tmp_path / "exp")
    trainer.fit()
    rows = read_log(tmp_path / "exp")
    steps = [r for r in rows if "g_loss" in r]
    assert len(steps) == 3
    for r in steps:
        assert all(math.isfinite(v) for k, v in r.items() if k.startswith(("g_", "d_")))
    assert "g_adv" not in steps[0] and all("g_adv" in r and "d_metric_real" in r for r in steps[1:])
    evals = [r for r in rows if "eval_pesq" in r]
    assert evals and {"eval_pesq", "eval_stoi"} <= set(evals[0])

    bundle = load_for_inference(tmp_path / "exp", tasks=("ctfgan",), names=("generator",))
    assert bundle.extra == {"sample_rate": SR, "n_fft": 512, "hop": 256, "window": 4 * SR}
    x = torch.randn(1, 5000)
    with torch.no_grad():
        torch.testing.assert_close(bundle.networks["generator"](x), trainer.nets["generator"].eval()(x))


def test_normalised_pesq_targets():
    clean = speechlike(3.0, 130)
    noisy = clean + 0.05 * np.random.default_rng(0).standard_normal(clean.size).astype(np.float32)
    assert normalised_pesq(clean, clean) == 1.0
    p = normalised_pesq(clean, noisy)
    assert 0.0 <= p < 0.9
    assert math.isnan(normalised_pesq(clean, np.zeros_like(clean)))  # PESQ cannot score silence


def test_noisy_scores_are_cached_by_key():
    clean = torch.from_numpy(speechlike(2.0, 130)).repeat(2, 1)
    noisy = clean + 0.05 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    targets = PesqTargets()
    first = targets.noisy_scores([(0, 1), (1, 2)], noisy, clean)
    assert targets.cached == 2
    again = targets.noisy_scores([(0, 1), (1, 2)], torch.zeros_like(noisy), clean)  # served from the cache
    torch.testing.assert_close(first, again)
    torch.testing.assert_close(targets.scores(clean, clean), torch.ones(2))


def test_si_sdr_loss():
    ref = torch.randn(2, 4000, generator=torch.Generator().manual_seed(0))
    assert si_sdr_loss(3 * ref, ref) < -5  # scale-invariant: a scaled copy is (nearly) perfect
    assert si_sdr_loss(ref + ref.roll(7, -1), ref) > si_sdr_loss(ref + 0.1 * ref.roll(7, -1), ref)


@pytest.mark.parametrize("override", [{"loss": {"pesq_items": 0}}, {"loss": {"adv_weight": -1.0}},
                                      {"loss": {"stoi_weight": -0.1}}, {"data": {"segment_seconds": 0.1}}])
def test_bad_config(tmp_path, override):
    cfg = merge(load_config(CTFGANTask.default_config()), override)
    with pytest.raises(ConfigError):
        CTFGANTask(cfg)


def test_losses_with_spectral_discriminators_are_finite():
    """Both discriminator kinds on one synthetic batch: every loss term finite, PESQ-scored items only."""
    cfg = load_config(CTFGANTask.default_config())
    cfg["model"].update(TINY_MODEL, spectral_discriminators=True, spectral_channels=4,
                        spectral_resolutions=[[256, 64], [128, 32]])
    task = CTFGANTask(cfg)
    torch.manual_seed(0)
    task.nets = CTFGANTask.build_networks(cfg)
    assert task.discriminators == ("discriminator", "spectral")
    clean = torch.from_numpy(np.stack([speechlike(1.0, 120 + 40 * i, i) for i in range(3)]))
    noisy = clean + 0.02 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))
    batch = {"noisy": noisy, "clean": clean, "key": torch.tensor([[0, 5], [1, 6], [2, 7]])}
    cfg["loss"]["pesq_items"] = 2
    d = task.discriminator_loss(batch)
    g = task.generator_loss(batch)
    assert {"metric_real", "metric_est", "metric_noisy", "spectral"} <= set(d)
    assert {"mag", "complex", "si_sdr", "adv", "spectral_adv"} <= set(g)
    assert all(torch.isfinite(v) for v in [*d.values(), *g.values()])
    assert task.pesq.cached == 2  # the noisy scores of the first pesq_items items


def test_stoi_term_is_one_minus_the_estimates_stoi_and_trains_the_generator():
    """loss.stoi_weight: the term equals 1 - STOI of G's output (pystoi, the scorer of RESULTS.md, agrees
    within torch_stoi's approximation) and its gradient reaches the generator."""
    from pystoi import stoi

    cfg = load_config(CTFGANTask.default_config())
    cfg["model"].update(TINY_MODEL)
    cfg["loss"].update(stoi_weight=0.5, adv_weight=0.0)
    task = CTFGANTask(cfg)
    torch.manual_seed(0)
    task.nets = CTFGANTask.build_networks(cfg)
    clean = torch.from_numpy(np.stack([speechlike(1.5, 120 + 40 * i, i) for i in range(2)]))
    noisy = clean + 0.03 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))
    batch = {"noisy": noisy, "clean": clean, "key": torch.tensor([[0, 5], [1, 6]])}
    g = task.generator_loss(batch)
    with torch.no_grad():
        est = task.nets["generator"](noisy).reshape(2, -1).numpy()
    expected = 1 - np.mean([stoi(c, e, SR) for c, e in zip(clean.numpy(), est)])
    term = float(g["stoi"].detach())
    assert 0 < term < 1 and abs(term - expected) < 0.05
    weighted = sum(float(cfg["loss"][f"{k}_weight"] * g[k].detach()) for k in ("mag", "complex", "si_sdr"))
    assert math.isclose(float(g["loss"].detach()), weighted + 0.5 * term, rel_tol=1e-5)
    g["stoi"].backward()
    grads = [p.grad for p in task.nets["generator"].parameters() if p.grad is not None]
    assert grads and any(float(gr.abs().sum()) > 0 for gr in grads)
