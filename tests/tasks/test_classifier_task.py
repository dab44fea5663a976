"""audiogan.tasks.classifier: the held-out split (speaker-disjoint, deterministic, stable as the fraction
grows), labels, the augmentation options (data.gain_db, data.shift_ms, data.noise_snr, data.noise_prob,
model.freq_masks/time_masks) doing what they say, bad values refused before anything is written, and a short
run that learns two easy classes."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.config import load_config
from audiogan.data.clips import list_clips, load_clip, shift_zero_fill
from audiogan.errors import ConfigError, DataDirError
from audiogan.tasks.classifier import ClassifierTask, held_out
from audiogan.train.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
SR = 16000
CLIP = 4096
TINY = ["model.width=2", f"model.clip_len={CLIP}", "model.n_fft=256", "model.hop_length=64",
        "model.n_mels=16", "trainer.progress=false", "trainer.tensorboard=false", "trainer.device=cpu"]


def tone(f: float, n: int = 3000, amp: float = 0.3) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * f * np.arange(n) / SR)).astype(np.float32)


def speaker_dir(root: Path, speakers: int = 60, order: int = 1) -> Path:
    """A data dir of ``speakers`` speakers x 2 utterances (labels 'a'/'b'); wav.scp lines in ``order``."""
    d = root / "data"
    d.mkdir(parents=True)
    for label, f in (("a", 300.0), ("b", 2500.0)):
        sf.write(root / f"{label}.wav", tone(f), SR)
    utts = [(f"spk{s:03d}-u{k}", f"spk{s:03d}", "ab"[k]) for s in range(speakers) for k in range(2)]
    (d / "wav.scp").write_text("".join(f"{u} {root / (lab + '.wav')}\n" for u, _, lab in utts[::order]))
    (d / "utt2spk").write_text("".join(f"{u} {s}\n" for u, s, _ in utts))
    (d / "utt2label").write_text("".join(f"{u} {lab}\n" for u, _, lab in utts))
    return d


def word_folder(root: Path, per_label: int = 20) -> Path:
    """root/words/{low,high}/NN.wav: two easy classes, no speakers."""
    rng = np.random.default_rng(0)
    for label, f in (("low", 300.0), ("high", 3000.0)):
        (root / "words" / label).mkdir(parents=True)
        for i in range(per_label):
            x = tone(f * (1 + 0.01 * i), 3000 + 40 * i) + 0.01 * rng.standard_normal(3000 + 40 * i)
            sf.write(root / "words" / label / f"{i:02d}.wav", x.astype(np.float32), SR)
    return root / "words"


def config(train_dir: Path, *overrides: str) -> dict:
    overrides = [f"data.train_dir={train_dir}", *TINY, *overrides]
    return load_config(ClassifierTask.default_config(), None, overrides)


def task_for(train_dir: Path, *overrides: str) -> ClassifierTask:
    return ClassifierTask(config(train_dir, *overrides))


def with_networks(task: ClassifierTask) -> ClassifierTask:
    torch.manual_seed(0)
    task.nets = ClassifierTask.build_networks(task.config)
    return task


def train_utts(task: ClassifierTask) -> set[str]:
    return {c.utt for c in task.train_dataset().clips}


# -- the held-out split ----------------------------------------------------------------------------------
def test_held_out_speakers_never_train_and_evaluate_sees_them(tmp_path):
    d = speaker_dir(tmp_path)
    task = with_networks(task_for(d, "data.valid_fraction=0.25"))
    clips = list_clips(d)
    train = train_utts(task)
    valid = [c for c in clips if c.utt not in train]
    train_spk = {c.speaker for c in clips if c.utt in train}
    valid_spk = {c.speaker for c in valid}
    assert train_spk.isdisjoint(valid_spk) and len(train_spk | valid_spk) == 60  # whole speakers only
    assert 5 <= len(valid_spk) <= 25  # about a quarter of 60
    assert all(held_out(s, 0.25) for s in valid_spk) and not any(held_out(s, 0.25) for s in train_spk)
    assert task.evaluate(tmp_path)["valid_clips"] == len(valid) == 2 * len(valid_spk)


def test_the_split_is_the_same_in_every_run_copy_and_order(tmp_path):
    first = speaker_dir(tmp_path / "one")
    moved = speaker_dir(tmp_path / "two", order=-1)  # elsewhere, wav.scp written backwards
    base = train_utts(task_for(first, "data.valid_fraction=0.3"))
    assert train_utts(task_for(moved, "data.valid_fraction=0.3")) == base
    code = (
        "import sys, json\n"
        "from audiogan.config import load_config\n"
        "from audiogan.tasks.classifier import ClassifierTask\n"
        "cfg = load_config(ClassifierTask.default_config(), None, sys.argv[1:])\n"
        "print(json.dumps(sorted(c.utt for c in ClassifierTask(cfg).train_dataset().clips)))\n"
    )
    for hash_seed in ("1", "987"):  # not Python's per-process string hash
        proc = subprocess.run(
            [sys.executable, "-c", code, f"data.train_dir={first}", "data.valid_fraction=0.3", *TINY],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)},
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert set(json.loads(proc.stdout)) == base


def test_a_larger_fraction_only_adds_speakers_to_the_held_out_set(tmp_path):
    d = speaker_dir(tmp_path)
    every = {c.utt for c in list_clips(d)}
    held = {f: every - train_utts(task_for(d, f"data.valid_fraction={f}")) for f in (0.1, 0.3, 0.6)}
    assert held[0.1] < held[0.3] < held[0.6]  # nothing moves back into training


def test_without_speakers_utterances_are_held_out(tmp_path):
    words = word_folder(tmp_path, per_label=30)
    task = task_for(words, "data.valid_fraction=0.3")
    train = train_utts(task)
    valid = [c for c in list_clips(words) if c.utt not in train]
    assert 8 <= len(valid) <= 30 and all(held_out(c.utt, 0.3) for c in valid)
    assert {c.label for c in valid} == {"low", "high"}


def test_valid_dir_is_the_held_out_set_and_all_of_train_dir_trains(tmp_path):
    words = word_folder(tmp_path / "t", per_label=6)
    other = word_folder(tmp_path / "v", per_label=2)
    task = with_networks(task_for(words, f"data.valid_dir={other}"))
    assert len(train_utts(task)) == 12
    assert task.evaluate(tmp_path)["valid_clips"] == 4


# -- labels and data errors ------------------------------------------------------------------------------
def test_labels_come_from_the_training_data_sorted_unless_given(tmp_path):
    words = word_folder(tmp_path, per_label=10)
    task = task_for(words, "data.valid_fraction=0.3")
    assert task.config["model"]["labels"] == ["high", "low"]
    assert ClassifierTask.build_networks(task.config)["classifier"].n_classes == 2
    assert task.inference_state() == {"labels": ["high", "low"], "sample_rate": SR, "clip_len": CLIP}
    given = task_for(words, "data.valid_fraction=0.3", "model.labels=[low, high, other]")
    assert given.config["model"]["labels"] == ["low", "high", "other"]
    ds = given.train_dataset()
    assert {c.label: int(ds[i]["label"]) for i, c in enumerate(ds.clips)} == {"low": 0, "high": 1}
    with pytest.raises(DataDirError, match="training label 'high' is not in model.labels"):
        task_for(words, "data.valid_fraction=0.3", "model.labels=[low, other]").train_dataset()


def test_data_errors(tmp_path):
    d = speaker_dir(tmp_path)
    (d / "utt2label").write_text("".join(line for line in (d / "utt2label").read_text().splitlines(True)[1:]))
    with pytest.raises(DataDirError, match="no label for 'spk000-u0'"):
        task_for(d)
    words = word_folder(tmp_path / "w", per_label=1)
    with pytest.raises(DataDirError, match="too few clips"):
        task_for(words, "data.valid_fraction=0.01")
    for bad in ("0", "1", "1.5"):
        with pytest.raises(ConfigError, match="valid_fraction must be between 0 and 1"):
            task_for(words, f"data.valid_fraction={bad}")
    with pytest.raises(ConfigError, match="data.train_dir is not set"):
        ClassifierTask(load_config(ClassifierTask.default_config(), None, TINY)).train_dataset()


# -- augmentation options --------------------------------------------------------------------------------
def test_options_reach_the_training_dataset(tmp_path):
    words = word_folder(tmp_path, per_label=10)
    ds = task_for(words, "data.shift_ms=12.5", "data.noise_snr=[5, 20]", "data.noise_prob=0.25",
                  "data.gain_db=3").train_dataset()
    assert ds.shift == 200 and ds.noise_snr == (5.0, 20.0) and ds.noise_prob == 0.25 and ds.gain_db == 3.0
    assert ds.random_crop and ds.length == CLIP and ds.sample_rate == SR
    off = task_for(words).train_dataset()  # the defaults: gain only
    assert off.shift == 0 and off.noise_snr is None and off.gain_db == 6.0


def test_noise_snr_and_prob_add_noise_at_that_snr(tmp_path):
    words = word_folder(tmp_path, per_label=10)
    clean = task_for(words, "data.gain_db=0").train_dataset()
    noisy = task_for(words, "data.gain_db=0", "data.noise_snr=[12, 12]", "data.noise_prob=1").train_dataset()
    never = task_for(words, "data.gain_db=0", "data.noise_snr=[12, 12]", "data.noise_prob=0").train_dataset()
    for key in [(i, 7 * i) for i in range(len(clean))]:
        x, y = clean[key]["audio"].double().numpy(), noisy[key]["audio"].double().numpy()
        assert 10 * math.log10(np.mean(x**2) / np.mean((y - x) ** 2)) == pytest.approx(12.0, abs=0.3)
        assert torch.equal(never[key]["audio"], clean[key]["audio"])


def test_shift_ms_shifts_by_up_to_that_many_milliseconds(tmp_path):
    words = word_folder(tmp_path, per_label=3)
    ds = task_for(words, "data.gain_db=0", "data.shift_ms=5").train_dataset()  # 80 samples at 16 kHz
    base = load_clip(ds.clips[0], SR, CLIP)
    seen = set()
    for seed in range(40):
        x = ds[(0, seed)]["audio"].numpy()
        seen.add(next(k for k in range(-80, 81) if np.array_equal(x, shift_zero_fill(base, k))))
    assert min(seen) < -40 and max(seen) > 40


def test_spec_augment_masks_only_in_training_and_keeps_checkpoints_compatible(tmp_path):
    words = word_folder(tmp_path, per_label=3)
    plain = ClassifierTask.build_networks(task_for(words).config)["classifier"]
    masked = ClassifierTask.build_networks(
        task_for(words, "model.freq_masks=2", "model.time_masks=3").config)["classifier"]
    assert len(plain.spec_augment) == 0 and len(masked.spec_augment) == 5
    assert plain.state_dict().keys() == masked.state_dict().keys()  # no parameters: same checkpoints
    masked.load_state_dict(plain.state_dict())
    x = torch.from_numpy(np.stack([load_clip(c, SR, CLIP) for c in list_clips(words)]))
    plain.eval(), masked.eval()
    assert torch.equal(plain(x), masked(x))  # off at inference
    plain.train(), masked.train()
    torch.manual_seed(0)
    f = masked.spec_augment(masked.features(x))  # [N, 1, mels, frames]
    zero_bands = (f == 0).all(dim=-1).sum().item()
    zero_frames = (f == 0).all(dim=-2).sum().item()
    assert zero_bands > 0 and zero_frames > 0  # whole mel bands and whole frames masked
    assert not (plain.features(x) == 0).all(dim=-1).any()
    torch.manual_seed(1)
    assert not torch.equal(plain.embed(x), masked.embed(x))


# -- bad values: a ConfigError before anything is written ------------------------------------------------
@pytest.mark.parametrize(
    "override, message",
    [
        ("data.noise_snr=[5]", "noise_snr must be"),
        ("data.noise_snr=[5, 10, 20]", "noise_snr must be"),
        ("data.noise_snr=[20, 5]", "noise_snr"),  # lo > hi
        ("data.shift_ms=-1", "shift_ms"),
        ("data.noise_prob=1.5", "noise_prob"),
        ("data.noise_prob=-0.1", "noise_prob"),
        ("model.freq_masks=-1", "freq_masks"),
        ("model.time_masks=-2", "time_masks"),
    ],
)
def test_bad_augmentation_values_are_config_errors_before_any_write(tmp_path, override, message):
    words = word_folder(tmp_path, per_label=6)
    out = tmp_path / "exp"
    with pytest.raises(ConfigError, match=message):
        Trainer(task_for(words, "trainer.max_steps=1", "trainer.batch_size=2", override), out).fit()
    assert not out.exists() or not any(p.name != ".lock" for p in out.iterdir())


# -- a short run -----------------------------------------------------------------------------------------
def test_a_short_run_learns_two_easy_classes(tmp_path):
    words = word_folder(tmp_path, per_label=20)
    cfg = config(words, "model.width=4", "trainer.max_steps=40", "trainer.batch_size=8",
                 "trainer.log_interval=1", "trainer.eval_interval=20", "trainer.save_interval=20",
                 "optim.generator.lr=3e-3", "data.valid_fraction=0.3")
    cfg["task"] = "classifier"
    task = ClassifierTask(cfg)
    Trainer(task, tmp_path / "exp").fit()
    log = [json.loads(line) for line in (tmp_path / "exp" / "train_log.jsonl").read_text().splitlines()]
    losses = [r["g_loss"] for r in log if "g_loss" in r]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert task.evaluate(tmp_path)["accuracy"] == 1.0
    assert (tmp_path / "exp" / "best.pt").is_file()
