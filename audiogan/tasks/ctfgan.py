"""CTF-GAN: a compact time-frequency enhancer (:mod:`audiogan.models.ctfgan`) trained on on-the-fly mixtures
with reconstruction losses and a PESQ-predicting metric discriminator.

Data: every training item is a fresh mixture (:class:`audiogan.data.onthefly.OnTheFlyMixtures`) of
``data.clean_dir`` speech and ``data.noise_dir`` noise, ``data.segment_seconds`` long, drawn from the
sampler key, so a resumed run sees the same data. ``data.dev_dir`` (fixed mixtures: ``wav.scp`` noisy,
``spk1.scp`` clean) is enhanced whole for validation (PESQ, STOI; the best PESQ picks ``best.pt``).

Generator loss, on spectra of the estimate and the clean target both scaled by the noisy item's RMS (so
the loss does not depend on the mixture's level)::

    mag_weight * MSE(|S|^0.3, |C|^0.3) + complex_weight * MSE(S|S|^-0.7, C|C|^-0.7)   (GTCRN / CMGAN)
    + si_sdr_weight * (-SI-SDR / 10 dB) + adv_weight * E[(D(|S|^0.3, |C|^0.3) - 1)^2]
    + spectral_adv_weight * LSGAN(spectral discriminators)            (with model.spectral_discriminators)
    + stoi_weight * (1 - STOI(est, clean))       (differentiable STOI of torch_stoi; ESTOI: stoi_extended)

The STOI term (default off) targets intelligibility directly: the spectral losses let the model trade a
little intelligibility for noise removal at high SNRs (issue 19). It uses the maintained ``torch_stoi``
(asteroid's differentiable STOI/ESTOI; about 0.1 s per batch of four 2 s items on one core).

Metric discriminator (MetricGAN+ / CMGAN): regression on normalised PESQ (:mod:`audiogan.tasks.pesq_targets`),
``D(clean, clean) -> 1`` on the whole batch, ``D(enhanced, clean) -> PESQn(enhanced)`` and
``D(noisy, clean) -> PESQn(noisy)`` on the first ``loss.pesq_items`` items (PESQ costs ~20 ms per item);
noisy scores are cached by dataset key; items PESQ cannot score are left out. Before
``trainer.d_start_step`` only the reconstruction terms train G.
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

from audiogan.errors import ConfigError
from audiogan.models.ctfgan import MODEL_DEFAULTS, compress
from audiogan.models.registry import build
from audiogan.nn.losses import get_gan_loss
from audiogan.tasks.pesq_targets import PesqTargets
from audiogan.train.task import AdversarialTask, base_config

EVAL_METRICS = ("pesq", "stoi")
SAMPLE_RATE = 16000


def _mix_defaults() -> dict[str, Any]:
    from audiogan.data.onthefly import MIX_DEFAULTS

    return dict(MIX_DEFAULTS)


class KeyedItems(Dataset):
    """Adds the sampler key to each item: ``ds[(index, seed)] -> {..., "key": LongTensor[2]}``, so the noisy
    items' PESQ can be cached by key."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, key: Any) -> dict[str, Tensor]:
        item = dict(self.dataset[key])
        pair = tuple(key) if isinstance(key, tuple | list) else (int(key), int(key))
        item["key"] = torch.tensor([int(pair[0]), int(pair[1])], dtype=torch.long)
        return item


def si_sdr_loss(est: Tensor, ref: Tensor, eps: float = 1e-8) -> Tensor:
    """``-SI-SDR / 10`` (in bels, GTCRN's scale) averaged over ``Tensor[B, T]`` items."""
    ref = ref - ref.mean(-1, keepdim=True)
    est = est - est.mean(-1, keepdim=True)
    scale = (est * ref).sum(-1, keepdim=True) / (ref.pow(2).sum(-1, keepdim=True) + eps)
    target = scale * ref
    ratio = target.pow(2).sum(-1) / ((est - target).pow(2).sum(-1) + eps)
    return -torch.log10(ratio + eps).mean()


class CTFGANTask(AdversarialTask):
    name = "ctfgan"
    best_metric = "pesq"
    best_mode = "max"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        config = base_config(
            task=cls.name,
            model=dict(MODEL_DEFAULTS),
            data={
                "clean_dir": "",  # clean speech (see audiogan.data.onthefly)
                "noise_dir": "",  # noise recordings
                "mix": _mix_defaults(),  # on-the-fly mixing settings (SNR range, telephone, EQ, reverb, ...)
                "segment_seconds": 2.0,
                "epoch_size": 10000,  # items per epoch (mixtures are drawn afresh, so any size works)
                "cache_dir": "",  # mixer caches (e.g. simulated RIRs); empty: <outdir>/cache
                "dev_dir": "",  # fixed mixtures (wav.scp noisy, spk1.scp clean); empty: no validation
                "eval_max_utts": 50,
            },
            loss={
                "mag_weight": 0.7,
                "complex_weight": 0.3,
                "si_sdr_weight": 0.01,
                "adv_weight": 0.05,  # metric discriminator: E[(D(est, clean) - 1)^2]
                "pesq_items": 4,  # items per discriminator step scored with PESQ
                "spectral_adv_weight": 0.05,  # only with model.spectral_discriminators
                "spectral_loss": "lsgan",
                "stoi_weight": 0.0,  # differentiable (1 - STOI) term (torch_stoi); 0: off
                "stoi_extended": False,  # true: ESTOI instead of STOI
            },
            trainer={
                "max_steps": 100000,
                "batch_size": 16,
                "log_interval": 50,
                "save_interval": 1000,
                "eval_interval": 2000,
                "d_start_step": 1000,
                "grad_clip": 5.0,
            },
        )
        for group in ("generator", "discriminator"):
            config["optim"][group].update({"name": "adamw", "lr": 1e-3 if group == "generator" else 5e-4,
                                           "betas": [0.8, 0.99]})
        return config

    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        # one definition for training and inference (which rebuilds from a checkpoint without this task)
        return build("ctfgan", config, discriminators=True)

    # "discriminator" is the metric D; "spectral" (optional) the multi-resolution spectrogram discriminators
    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        loss, d = config["loss"], config["data"]
        weights = ("mag_weight", "complex_weight", "si_sdr_weight", "adv_weight", "spectral_adv_weight",
                   "stoi_weight")
        if any(float(loss[k]) < 0 for k in weights):
            raise ConfigError(f"loss weights ({', '.join(weights)}) must be >= 0")
        if int(loss["pesq_items"]) < 1:
            raise ConfigError("loss.pesq_items must be >= 1 (items per step scored with PESQ)")
        if float(d["segment_seconds"]) * SAMPLE_RATE < config["model"]["n_fft"] * 8:
            raise ConfigError("data.segment_seconds is too short: it must hold at least 8 STFT windows")
        if int(d["epoch_size"]) < 1 or int(d["eval_max_utts"]) < 1:
            raise ConfigError("data.epoch_size and data.eval_max_utts must be >= 1")
        self.spectral_gan = get_gan_loss(loss["spectral_loss"])
        self.pesq = PesqTargets(SAMPLE_RATE)
        self.neg_stoi = None
        if float(loss["stoi_weight"]) > 0:
            try:
                from torch_stoi import NegSTOILoss
            except ImportError:
                raise ConfigError("loss.stoi_weight > 0 needs the torch_stoi package") from None
            with warnings.catch_warnings():  # its resampler's deprecated method name, not ours to fix
                warnings.simplefilter("ignore", UserWarning)
                self.neg_stoi = NegSTOILoss(SAMPLE_RATE, extended=bool(loss["stoi_extended"]))

    @property
    def discriminators(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("discriminator", "spectral") if self.config["model"]["spectral_discriminators"] else (
            "discriminator",)

    # -- data ---------------------------------------------------------------------------------------
    def train_dataset(self) -> Dataset:
        from audiogan.data.onthefly import OnTheFlyMixtures

        d = self.config["data"]
        if not d["clean_dir"] or not d["noise_dir"]:
            raise ConfigError("data.clean_dir and data.noise_dir must be set (clean speech and noise)")
        cache = Path(d["cache_dir"]) if d["cache_dir"] else Path(self.outdir or ".") / "cache"
        ds = OnTheFlyMixtures(
            d["clean_dir"], d["noise_dir"], segment=int(round(float(d["segment_seconds"]) * SAMPLE_RATE)),
            sample_rate=SAMPLE_RATE, mix=d["mix"], epoch_size=int(d["epoch_size"]), cache_dir=cache,
        )
        return KeyedItems(ds)

    # -- spectra ------------------------------------------------------------------------------------
    def _spectra(self, noisy: Tensor, *waves: Tensor) -> list[Tensor]:
        """Complex spectra of ``waves`` (``Tensor[b, T]``, the first ``b`` items of the batch), each scaled by
        its noisy item's RMS."""
        G = self.nets["generator"]
        with torch.autocast(noisy.device.type, enabled=False):
            rms = noisy.float().pow(2).mean(-1, keepdim=True).clamp_min(1e-8).sqrt()
            return [G.stft(w.float() / rms[: w.shape[0]]) for w in waves]

    def _power(self) -> float:
        return float(self.config["model"]["compress"])

    def _mags(self, *specs: Tensor) -> list[Tensor]:
        return [compress(s, self._power())[0] for s in specs]

    # -- losses -------------------------------------------------------------------------------------
    def discriminator_loss(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        G, D = self.nets["generator"], self.nets["discriminator"]
        noisy, clean = batch["noisy"], batch["clean"]
        with torch.no_grad():
            est = G(noisy)
        k = min(int(self.config["loss"]["pesq_items"]), noisy.shape[0])
        keys = [tuple(int(v) for v in row) for row in batch["key"][:k].tolist()]
        est_target = self.pesq.scores(est[:k], clean[:k])
        noisy_target = self.pesq.noisy_scores(keys, noisy[:k], clean[:k])
        c_spec, e_spec, n_spec = self._spectra(noisy, clean, est[:k], noisy[:k])
        c_mag, e_mag, n_mag = self._mags(c_spec, e_spec, n_spec)
        real = D(c_mag, c_mag).float()
        out = {"metric_real": F.mse_loss(real, torch.ones_like(real))}
        loss = out["metric_real"]
        for name, mag, target in (("metric_est", e_mag, est_target), ("metric_noisy", n_mag, noisy_target)):
            valid = torch.isfinite(target)
            if valid.any():
                pred = D(mag[valid], c_mag[:k][valid]).float()
                out[name] = F.mse_loss(pred, target[valid])
                loss = loss + out[name]
        out["pesq_est"] = est_target.nan_to_num(0.0).sum() / est_target.isfinite().sum().clamp_min(1)
        if "spectral" in self.nets:
            S = self.nets["spectral"]
            out["spectral"] = sum(self.spectral_gan.d_loss(r, f) for r, f in zip(S(clean), S(est)))
            loss = loss + out["spectral"]
        out["loss"] = loss
        return out

    def generator_loss(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        G = self.nets["generator"]
        cfg = self.config["loss"]
        noisy, clean = batch["noisy"], batch["clean"]
        est = G(noisy)
        e_spec, c_spec = self._spectra(noisy, est, clean)
        with torch.autocast(noisy.device.type, enabled=False):
            (e_mag, e_c), (c_mag, c_c) = compress(e_spec, self._power()), compress(c_spec, self._power())
            out = {
                "mag": F.mse_loss(e_mag, c_mag),
                "complex": F.mse_loss(torch.view_as_real(e_c), torch.view_as_real(c_c)) * 2,
            }
            loss = cfg["mag_weight"] * out["mag"] + cfg["complex_weight"] * out["complex"]
            if cfg["si_sdr_weight"] > 0:
                out["si_sdr"] = si_sdr_loss(est.float(), clean.float())
                loss = loss + cfg["si_sdr_weight"] * out["si_sdr"]
            if self.neg_stoi is not None:
                b = est.shape[0]
                neg = self.neg_stoi(est.float().reshape(b, -1), clean.float().reshape(b, -1))  # [B] of -STOI
                out["stoi"] = 1.0 + neg.nan_to_num(-1.0).mean()  # NaN (no speech frames) counts as perfect
                loss = loss + cfg["stoi_weight"] * out["stoi"]
        if self.adversarial and cfg["adv_weight"] > 0:
            pred = self.nets["discriminator"](e_mag, c_mag).float()
            out["adv"] = F.mse_loss(pred, torch.ones_like(pred))
            loss = loss + cfg["adv_weight"] * out["adv"]
        if self.adversarial and "spectral" in self.nets and cfg["spectral_adv_weight"] > 0:
            S = self.nets["spectral"]
            real = S(clean) if self.spectral_gan.needs_real_for_g else [None] * len(S.discs)
            out["spectral_adv"] = sum(self.spectral_gan.g_loss(f, r) for f, r in zip(S(est), real))
            loss = loss + cfg["spectral_adv_weight"] * out["spectral_adv"]
        out["loss"] = loss
        return out

    # -- validation ---------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, outdir: Path) -> dict[str, float]:
        d = self.config["data"]
        if not d["dev_dir"]:
            return {}
        from audiogan.data.segan import load_pair, read_pairs
        from audiogan.metrics.enhancement import mean_scores, score_pair

        G = self.nets["generator"]
        was = G.training
        G.eval()
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a NaN PESQ on one utterance is left out of the mean
            for p in read_pairs(d["dev_dir"])[: d["eval_max_utts"]]:
                noisy, clean = load_pair(p, SAMPLE_RATE)
                x = torch.from_numpy(np.ascontiguousarray(noisy, np.float32)).to(self.device)
                est = G(x.reshape(1, -1)).float().reshape(-1).cpu().numpy()
                try:
                    rows.append(score_pair(clean, est, SAMPLE_RATE, EVAL_METRICS))
                except Exception as e:  # too short to score etc.: skip the utterance, keep training
                    print(f"audiogan: warning: validation skipped '{p.utt}': {e}", file=sys.stderr)
        G.train(was)
        if not rows:
            return {}
        means = mean_scores(rows, EVAL_METRICS)
        return {k: float(v) for k, v in means.items() if np.isfinite(v)}

    def inference_state(self) -> dict[str, Any]:
        m = self.config["model"]
        # inference runs the generator on 4 s windows (cross-faded): flat memory, and the level normalisation
        # sees a stretch of signal like the training segments
        return {"sample_rate": SAMPLE_RATE, "n_fft": int(m["n_fft"]), "hop": int(m["hop"]),
                "window": 4 * SAMPLE_RATE}
