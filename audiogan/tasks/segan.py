"""SEGAN / SEGAN+ speech enhancement on the common adversarial trainer.

Losses (Pascual et al. 2017): LSGAN on (candidate, noisy) pairs, weighted by ``adv_weight``, plus
``l1_weight`` (100) times the L1 distance between the enhanced and clean windows; ``loss.name=wgan-gp``
swaps in a Wasserstein critic with a gradient penalty. Any loss of :mod:`audiogan.nn.losses` works. Before
``trainer.d_start_step`` only the reconstruction terms train G.

``adv_weight`` scales the generator's adversarial term: the zoo's LSGAN term is ``E[(D - 1)^2]`` (weight 1,
segan_pytorch), so the paper's ``1/2 E[(D - 1)^2]`` is ``adv_weight: 0.5`` (the default here) and SEGAN+ is
``1.0`` (conf/segan_plus.yaml). ``stft_weight`` adds ParallelWaveGAN's multi-resolution STFT loss
(spectral convergence + log-magnitude L1 at FFT sizes 512/1024/2048, from ``auraloss``) next to L1;
0 keeps the paper's objective.

Training data is either ``data.train_dir`` (fixed noisy/clean pairs, cut into a window cache), or with
``data.clean_dir`` + ``data.noise_dir`` new mixtures for every item (:class:`OnTheFlyMixtures`, configured by
``data.mix``; ``data.epoch_size`` items per virtual epoch), pre-emphasised the same way. The model and its
losses are the same either way.

Validation (every ``trainer.eval_interval`` steps) enhances up to ``data.eval_max_utts`` dev utterances
whole, with the same overlap-add inference as ``audiogan denoise``, and reports PESQ, STOI and segmental
SNR; the best PESQ picks ``best.pt``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset

from audiogan.data.onthefly import MIX_DEFAULTS, check_mix
from audiogan.errors import ConfigError
from audiogan.models.registry import build
from audiogan.models.segan import MODEL_DEFAULTS
from audiogan.nn.blocks import VirtualBatchNorm1d, vbn_reference_pass
from audiogan.nn.losses import get_gan_loss, gradient_penalty
from audiogan.train.task import AdversarialTask, base_config

EVAL_METRICS = ("pesq", "stoi", "ssnr")
STFT_RESOLUTIONS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))  # (FFT size, hop, window)


class MixedWindows(Dataset):
    """SEGAN training windows from on-the-fly mixtures: ``key -> Tensor[2, window]`` (noisy, clean), both
    pre-emphasised as the window cache is (``data.preemph``). The mixer's decoded audio and RIR bank go to
    ``cache_dir`` itself (``audio-<hash>.npy``, ``rirs-<hash>.npz``), shared by a recipe's models."""

    def __init__(self, window: int, data: dict[str, Any], cache_dir: Path):
        from audiogan.data.onthefly import OnTheFlyMixtures

        self.preemph = float(data["preemph"])
        self.mixtures = OnTheFlyMixtures(data["clean_dir"], data["noise_dir"], segment=window,
                                         sample_rate=data["sample_rate"], mix=data["mix"],
                                         epoch_size=data["epoch_size"], cache_dir=cache_dir)

    def __len__(self) -> int:
        return len(self.mixtures)

    def __getitem__(self, key: int | tuple[int, int]) -> Tensor:
        from audiogan.dsp import preemphasis

        item = self.mixtures[key]
        pair = torch.stack([item["noisy"], item["clean"]]).numpy()
        return torch.from_numpy(np.ascontiguousarray(preemphasis(pair, self.preemph), dtype=np.float32))


class SEGANTask(AdversarialTask):
    name = "segan"
    best_metric = "pesq"
    best_mode = "max"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(
            task=cls.name,
            model=dict(MODEL_DEFAULTS),
            data={
                "train_dir": "",  # data dir with wav.scp (noisy) and spk1.scp (clean)
                "clean_dir": "",  # or on-the-fly mixtures: clean speech data dir ...
                "noise_dir": "",  # ... and noise data dir (audiogan.data.onthefly; train_dir stays empty)
                "mix": dict(MIX_DEFAULTS),  # the mixer's settings (SNR, level, babble, reverb, EQ, telephone)
                "epoch_size": 10000,  # on-the-fly items per virtual epoch
                "dev_dir": "",  # same layout; empty: no validation
                "cache_dir": "",  # window cache; empty: <outdir>/cache
                "sample_rate": 16000,
                "stride": 0.5,  # window hop as a fraction of the window
                "preemph": 0.95,
                "eval_max_utts": 50,
                "eval_batch_size": 8,
            },
            loss={
                "name": "lsgan",
                "adv_weight": 0.5,
                "l1_weight": 100.0,
                "stft_weight": 0.0,
                "gp_weight": 10.0,
            },
            trainer={
                "max_steps": 40000,
                "batch_size": 100,
                "log_interval": 50,
                "save_interval": 1000,
                "eval_interval": 1000,
            },
            optim={
                "generator": {"name": "rmsprop", "lr": 2e-4},
                "discriminator": {"name": "rmsprop", "lr": 2e-4},
            },
        )

    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        # one definition for training and inference (which rebuilds from a checkpoint without this task)
        return build("segan", config, discriminators=True)

    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        self.gan = get_gan_loss(config["loss"]["name"])
        if config["data"]["sample_rate"] <= 0 or not 0 < config["data"]["stride"] <= 1:
            raise ConfigError("data.sample_rate must be positive and data.stride in (0, 1]")
        if config["loss"]["adv_weight"] < 0 or config["loss"]["stft_weight"] < 0:
            raise ConfigError("loss.adv_weight and loss.stft_weight must be >= 0")
        check_mix(config["data"]["mix"])  # value errors (ranges, probabilities) before any data is read
        self._train_set: Dataset | None = None
        self._vbn_ref: Tensor | None = None
        self._stft_loss: nn.Module | None = None

    # -- data ---------------------------------------------------------------------------------------
    def _cache_root(self) -> Path:
        d = self.config["data"]
        if d["cache_dir"]:
            return Path(d["cache_dir"])
        return Path(self.outdir or ".") / "cache"

    def train_dataset(self) -> Dataset:
        from audiogan.data.segan import paired_windows

        d = self.config["data"]
        if d["clean_dir"] or d["noise_dir"]:
            if d["train_dir"] or not (d["clean_dir"] and d["noise_dir"]):
                raise ConfigError("on-the-fly mixtures need data.clean_dir and data.noise_dir, no train_dir")
            self._train_set = MixedWindows(self.config["model"]["window"], d, self._cache_root())
            return self._train_set
        if not d["train_dir"]:
            raise ConfigError("data.train_dir is not set (a data dir with wav.scp and spk1.scp)")
        self._train_set = paired_windows(
            d["train_dir"],
            self._cache_root(),
            window=self.config["model"]["window"],
            stride=d["stride"],
            preemph=d["preemph"],
            sample_rate=d["sample_rate"],
            progress=bool(self.config["trainer"]["progress"]),
        )
        return self._train_set

    # -- losses -------------------------------------------------------------------------------------
    def _split(self, batch: Tensor) -> tuple[Tensor, Tensor]:
        """``batch: Tensor[B, 2, T]`` -> noisy, clean ``Tensor[B, 1, T]``."""
        return batch[:, :1], batch[:, 1:]

    def _refresh_virtual_batch_norm(self, batch: Tensor) -> None:
        """Virtual batch norm (SEGAN paper): reference statistics of a fixed batch under the current weights.

        The reference batch is B windows drawn at random across the whole training cache with a generator
        seeded by ``trainer.seed``, so it mixes speakers and noises, and a resumed run draws the same one.
        """
        D = self.nets["discriminator"]
        if not any(isinstance(m, VirtualBatchNorm1d) for m in D.modules()):
            return
        if self._vbn_ref is None:
            n = batch.shape[0]
            source = self._train_set
            if source is not None:
                rng = np.random.default_rng([int(self.config["trainer"]["seed"]), 0x5E6A])
                picks = rng.choice(len(source), size=n, replace=n > len(source))
                windows = [source[int(i)] for i in picks]
            else:
                windows = list(batch)
            ref = torch.stack(windows).to(batch.device)
            self._vbn_ref = torch.cat([ref[:, 1:], ref[:, :1]], 1)  # (clean, noisy) pairs
        with torch.no_grad(), vbn_reference_pass(D):
            D(self._vbn_ref)

    def discriminator_loss(self, batch: Tensor) -> dict[str, Tensor]:
        G, D = self.nets["generator"], self.nets["discriminator"]
        self._refresh_virtual_batch_norm(batch)
        noisy, clean = self._split(batch)
        with torch.no_grad():
            fake = G(noisy)
        real_pair, fake_pair = torch.cat([clean, noisy], 1), torch.cat([fake.detach(), noisy], 1)
        adv = self.gan.d_loss(D(real_pair), D(fake_pair))
        out = {"adv": adv}
        loss = adv
        if self.gan.name == "wgan-gp":
            out["gp"] = gradient_penalty(D, real_pair, fake_pair)
            loss = loss + self.config["loss"]["gp_weight"] * out["gp"]
        out["loss"] = loss
        return out

    def generator_loss(self, batch: Tensor) -> dict[str, Tensor]:
        G, D = self.nets["generator"], self.nets["discriminator"]
        noisy, clean = self._split(batch)
        cfg = self.config["loss"]
        fake = G(noisy)
        l1 = F.l1_loss(fake, clean)
        out = {"l1": l1}
        loss = cfg["l1_weight"] * l1
        if cfg["stft_weight"] > 0:
            out["stft"] = self._stft(fake, clean)
            loss = loss + cfg["stft_weight"] * out["stft"]
        if self.adversarial and cfg["adv_weight"] > 0:
            self._refresh_virtual_batch_norm(batch)
            real_logits = D(torch.cat([clean, noisy], 1)) if self.gan.needs_real_for_g else None
            adv = self.gan.g_loss(D(torch.cat([fake, noisy], 1)), real_logits)
            out["adv"] = adv
            loss = loss + cfg["adv_weight"] * adv
        out["loss"] = loss
        return out

    def _stft(self, fake: Tensor, clean: Tensor) -> Tensor:
        """Multi-resolution STFT loss of ``Tensor[B, 1, T]`` windows, in fp32 (the FFT under bf16 autocast
        is not supported on CPU)."""
        if self._stft_loss is None:
            from auraloss.freq import MultiResolutionSTFTLoss

            # ParallelWaveGAN's resolutions (FFT 1024/2048/512, hops 120/240/50, windows 600/1200/240),
            # keeping those that fit in a training window
            res = [r for r in STFT_RESOLUTIONS if r[0] <= fake.shape[-1]] or [
                (fake.shape[-1] // 2, fake.shape[-1] // 16, fake.shape[-1] // 4)
            ]
            fft, hop, win = (list(v) for v in zip(*res))
            self._stft_loss = MultiResolutionSTFTLoss(fft_sizes=fft, hop_sizes=hop, win_lengths=win).to(
                fake.device
            )
        with torch.autocast(fake.device.type, enabled=False):
            return self._stft_loss(fake.float(), clean.float())

    # -- validation ---------------------------------------------------------------------------------
    def evaluate(self, outdir: Path) -> dict[str, float]:
        d = self.config["data"]
        if not d["dev_dir"]:
            return {}
        from audiogan.data.segan import load_pair, read_pairs
        from audiogan.inference.denoise import Enhancer
        from audiogan.metrics.enhancement import mean_scores, score_pair

        pairs = read_pairs(d["dev_dir"])[: max(1, d["eval_max_utts"])]
        enh = Enhancer(
            self.nets["generator"],
            window=self.config["model"]["window"],
            batch_size=d["eval_batch_size"],
            device=self.device,
            preemph=d["preemph"],
            sample_rate=d["sample_rate"],
        )
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a NaN PESQ on one utterance is left out of the mean
            for p in pairs:
                noisy, clean = load_pair(p, d["sample_rate"])
                est = enh.enhance(noisy, d["sample_rate"])
                try:
                    rows.append(score_pair(clean, est, d["sample_rate"], EVAL_METRICS))
                except Exception as e:  # too short to score etc.: skip the utterance, keep training
                    print(f"audiogan: warning: validation skipped '{p.utt}': {e}", file=sys.stderr)
        if not rows:
            return {}
        means = mean_scores(rows, EVAL_METRICS)
        return {k: float(v) for k, v in means.items() if np.isfinite(v)}

    def inference_state(self) -> dict[str, Any]:
        d = self.config["data"]
        return {
            "window": int(self.config["model"]["window"]),
            "preemph": float(d["preemph"]),
            "sample_rate": int(d["sample_rate"]),
        }
