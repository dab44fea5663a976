"""The evaluation classifier (``audiogan train classifier``): a spectrogram CNN trained on labelled real
clips, used by ``audiogan score generation`` for the Inception Score and NDB.

Plain supervised training on the common trainer: the network ``classifier`` is the only member of the
generator group and there are no discriminators, so each step is one cross-entropy update.

Labels come from ``utt2label`` in the data dir or, for a folder of audio files, from each file's parent
folder name. The held-out set is ``data.valid_dir`` or, when that is empty, a deterministic
``data.valid_fraction`` of the speakers (``utt2spk``; utterances when there is none), chosen by a hash of
the id so every run holds out the same clips. ``evaluate`` reports held-out accuracy (best checkpoint).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from audiogan.data.clips import Clip, ClipDataset, list_clips, load_clips_array, subset
from audiogan.errors import ConfigError, DataDirError
from audiogan.models.registry import build
from audiogan.train.task import AdversarialTask, base_config


def split_key(clip: Clip) -> str:
    return clip.speaker or clip.utt


def held_out(key: str, fraction: float) -> bool:
    """Deterministic membership of the held-out set by a hash of ``key``."""
    return (zlib.crc32(key.encode()) % 10_000) < fraction * 10_000


class ClassifierTask(AdversarialTask):
    name = "classifier"
    generators = ("classifier",)
    discriminators = ()
    best_metric = "accuracy"
    best_mode = "max"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(
            task=cls.name,
            model={
                "labels": [],  # class names; filled from the training data when empty
                "clip_len": 16384,
                "width": 16,
                "n_mels": 64,
                "n_fft": 1024,
                "hop_length": 256,
                "dropout": 0.2,
                "freq_masks": 0,  # SpecAugment in training: masks of up to 8 mel bands ...
                "time_masks": 0,  # ... and of up to 8 frames (no parameters; off at inference)
            },
            data={
                "train_dir": "",  # data dir with utt2label, or folder of <label>/<clip> audio files
                "valid_dir": "",  # held-out set; empty: hold out valid_fraction of the speakers
                "valid_fraction": 0.1,
                "sample_rate": 16000,
                "gain_db": 6.0,  # random gain in [-gain_db, 0] dB (augmentation)
                "shift_ms": 0.0,  # random time shift of up to +-shift_ms (zero fill)
                "noise_snr": [],  # [lo, hi] dB: white noise at a random SNR on noise_prob of the clips
                "noise_prob": 0.5,
                "max_clips": 0,  # >0: at most N training and N held-out clips, spread evenly (debugging)
            },
            trainer={"batch_size": 64, "max_steps": 3000, "eval_interval": 250, "save_interval": 250},
            optim={"generator": {"lr": 1e-3, "betas": [0.9, 0.999]}},
        )

    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        # one definition for training and inference (which rebuilds from a checkpoint without this task)
        return build("classifier", config, discriminators=True)

    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        self._train: list[Clip] | None = None
        self._valid: list[Clip] | None = None
        self._valid_cache: tuple[Tensor, Tensor] | None = None
        if config["data"]["train_dir"]:
            self._split()
            if not config["model"]["labels"]:  # networks need the class count before any data is read
                config["model"]["labels"] = self._all_labels

    def _split(self) -> None:
        d = self.config["data"]
        clips = list_clips(d["train_dir"])
        missing = [c.utt for c in clips if not c.label]
        if missing:
            raise DataDirError(
                f"{d['train_dir']}: no label for '{missing[0]}' (write utt2label, or put the "
                f"files in one folder per label)"
            )
        if d["valid_dir"]:
            train, valid = clips, list_clips(d["valid_dir"])
        else:
            if not 0 < d["valid_fraction"] < 1:
                raise ConfigError("data.valid_fraction must be between 0 and 1 when data.valid_dir is empty")
            valid = [c for c in clips if held_out(split_key(c), d["valid_fraction"])]
            train = [c for c in clips if not held_out(split_key(c), d["valid_fraction"])]
        self._all_labels = sorted({c.label for c in train})
        train, valid = subset(train, d["max_clips"]), subset(valid, d["max_clips"])
        if not train or not valid:
            raise DataDirError(f"{d['train_dir']}: too few clips for a training and a held-out set")
        self._train, self._valid = train, valid

    def _labels(self) -> list[str]:
        return list(self.config["model"]["labels"])

    def train_dataset(self) -> ClipDataset:
        if self._train is None:
            raise ConfigError(
                "data.train_dir is not set (a data dir with utt2label or a folder of labelled audio)"
            )
        labels, d = self._labels(), self.config["data"]
        snr = d["noise_snr"]
        if snr and (len(snr) != 2 or snr[0] > snr[1]):
            raise ConfigError(f"data.noise_snr must be [lo, hi] dB with lo <= hi, or empty; got {snr!r}")
        if d["shift_ms"] < 0 or d["gain_db"] < 0 or not 0 <= d["noise_prob"] <= 1:
            raise ConfigError("data.shift_ms and data.gain_db must be >= 0 and data.noise_prob in [0, 1]")
        unknown = sorted({c.label for c in self._train} - set(labels))
        if unknown:
            raise DataDirError(f"training label '{unknown[0]}' is not in model.labels")
        return ClipDataset(
            self._train,
            d["sample_rate"],
            self.config["model"]["clip_len"],
            labels=labels,
            random_crop=True,
            gain_db=d["gain_db"],
            shift=int(round(d["shift_ms"] * d["sample_rate"] / 1000)),
            noise_snr=tuple(d["noise_snr"]) if d["noise_snr"] else None,
            noise_prob=d["noise_prob"],
        )

    def discriminator_loss(self, batch: Any) -> dict[str, Tensor]:  # pragma: no cover - no discriminators
        raise NotImplementedError

    def generator_loss(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        logits = self.nets["classifier"](batch["audio"])
        loss = F.cross_entropy(logits, batch["label"])
        acc = (logits.argmax(1) == batch["label"]).float().mean()
        return {"loss": loss, "train_accuracy": acc.detach()}

    @torch.no_grad()
    def evaluate(self, outdir: Path) -> dict[str, float]:
        if self._valid is None:
            return {}
        if self._valid_cache is None:
            d, labels = self.config["data"], self._labels()
            x = load_clips_array(self._valid, d["sample_rate"], self.config["model"]["clip_len"])
            y = [labels.index(c.label) if c.label in labels else -1 for c in self._valid]
            self._valid_cache = (torch.from_numpy(x), torch.tensor(y))
        x, y = self._valid_cache
        net = self.nets["classifier"]
        pred = torch.cat([net(x[i : i + 128].to(self.device)).argmax(1).cpu() for i in range(0, len(x), 128)])
        known = y >= 0
        acc = float((pred[known] == y[known]).float().mean()) if known.any() else float("nan")
        return {"accuracy": acc, "valid_clips": float(len(y))}

    def inference_state(self) -> dict[str, Any]:
        return {
            "labels": self._labels(),
            "sample_rate": int(self.config["data"]["sample_rate"]),
            "clip_len": int(self.config["model"]["clip_len"]),
        }
