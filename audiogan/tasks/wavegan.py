"""WaveGAN training task (``audiogan train wavegan``) on the common adversarial trainer.

Defaults are the paper's: WGAN-GP with lambda 10, 5 critic updates per generator update, Adam 1e-4 with
betas (0.5, 0.9), batch 64, 16384-sample slices at 16 kHz, phase shuffle 2, d = 64. Other adversarial
losses of the loss zoo (``loss.gan``) and R1 / weight clipping are available by config.

Every ``trainer.eval_interval`` steps ``evaluate`` writes a fixed-latent batch of samples (wavs and a
spectrogram grid PNG) to ``EXP/samples/step-<N>/`` and TensorBoard; with ``eval.classifier`` set to a
classifier checkpoint it also reports the Inception Score of ``eval.is_samples`` generated clips.

``model.num_classes > 0`` makes the model class-conditional (label embedding into G, projection D): the
labels are the training data's (``utt2label`` or one folder per word), filled into ``model.labels`` and
stored in the checkpoint, so ``audiogan generate --word WORD`` knows them. Fake batches take the real
batch's labels. The evaluation then also reports ``word_accuracy``, the share of generated clips the
classifier labels as their requested word (the best-checkpoint metric of a conditional model).
``loss.diffaugment`` (e.g. ``"shift,gain,cutout"``) augments both inputs of D
(:mod:`audiogan.nn.diffaugment`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from audiogan.data.clips import Clip, ClipDataset, list_clips, subset
from audiogan.errors import ConfigError, DataDirError
from audiogan.models.registry import build
from audiogan.nn.diffaugment import DiffAugment
from audiogan.nn.losses import clip_weights, get_gan_loss, gradient_penalty, r1_penalty
from audiogan.train.task import AdversarialTask, base_config

PAPER = {"lr": 1e-4, "betas": [0.5, 0.9]}


class WaveGANTask(AdversarialTask):
    name = "wavegan"
    generators = ("generator",)
    discriminators = ("discriminator",)
    best_metric = "inception_score"  # only reported when eval.classifier is set
    best_mode = "max"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(
            task=cls.name,
            model={
                "slice_len": 16384,  # 16384, 32768 or 65536
                "dim": 64,  # model size d (G and D)
                "latent_dim": 100,
                "kernel_size": 25,
                "upsample": "zeros",  # zeros (transposed conv) | nn (nearest upsample + conv)
                "batchnorm": False,
                "post_proc_taps": 0,  # 512: the reference's learned post-processing filter; 0: off
                "phase_shuffle": 2,
                "num_classes": 0,  # 0: unconditional; N: conditional on the training data's N labels
                "embed_dim": 32,  # size of the label embedding joined to z (conditional models)
                "labels": [],  # class names; filled from the training data when empty
            },
            data={
                "train_dir": "",  # data dir (wav.scp) or folder of audio files
                "sample_rate": 16000,
                "normalize": False,  # true: scale each clip to peak 1 (the reference's --data_normalize)
                "max_clips": 0,  # >0: N clips spread over the sorted list (debugging)
            },
            loss={
                "gan": "wgan-gp",  # any of audiogan.nn.losses.GAN_LOSSES
                "gp_weight": 10.0,  # WGAN-GP lambda (used when > 0)
                "r1_weight": 0.0,  # R1 gamma (penalty gamma/2 * ||grad D(x)||^2 on real data)
                "clip_weights": 0.0,  # > 0: original WGAN weight clipping of D after each update
                "diffaugment": "",  # DiffAugment of D's inputs: "" (off) or ops, e.g. "shift,gain,cutout"
            },
            eval={
                "num_samples": 16,  # fixed-latent samples written each evaluation
                "seed": 0,
                "classifier": "",  # classifier checkpoint: report the Inception Score when set
                "is_samples": 500,
            },
            trainer={
                "batch_size": 64,
                "n_critic": 5,
                "max_steps": 200000,
                "save_interval": 1000,
                "eval_interval": 1000,
            },
            optim={"generator": dict(PAPER), "discriminator": dict(PAPER)},
        )

    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        # one definition for training and inference (which rebuilds from a checkpoint without this task)
        return build("wavegan", config, discriminators=True)

    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        self.gan = get_gan_loss(config["loss"]["gan"])
        self._classifier = None
        self._clips: list[Clip] | None = None
        try:
            self.augment = DiffAugment(config["loss"]["diffaugment"])
        except ValueError as e:
            raise ConfigError(f"loss.diffaugment: {e}") from None
        m = config["model"]
        self.num_classes = int(m["num_classes"])
        if self.num_classes > 0:
            self.best_metric = "word_accuracy"
            if config["data"]["train_dir"] and not m["labels"]:  # networks and checkpoints need them early
                m["labels"] = self._data_labels()

    # -- labels -------------------------------------------------------------------------------------
    def _all_clips(self) -> list[Clip]:
        if self._clips is None:
            self._clips = list_clips(self.config["data"]["train_dir"])
        return self._clips

    def _data_labels(self) -> list[str]:
        clips, where = self._all_clips(), self.config["data"]["train_dir"]
        missing = [c.utt for c in clips if not c.label]
        if missing:
            raise DataDirError(
                f"{where}: no label for '{missing[0]}' (a conditional model needs utt2label, or the files in "
                f"one folder per label)"
            )
        labels = sorted({c.label for c in clips})
        if len(labels) != self.num_classes:
            raise ConfigError(
                f"model.num_classes is {self.num_classes} but {where} has {len(labels)} labels "
                f"({', '.join(labels[:12])})"
            )
        return labels

    def slice_len(self) -> int:
        """Samples per training clip."""
        return int(self.config["model"]["slice_len"])

    def labels(self) -> list[str]:
        """The class names of a conditional model (``[]`` when unconditional)."""
        return list(self.config["model"]["labels"]) if self.num_classes else []

    def _batch_labels(self, batch: dict[str, Tensor]) -> Tensor | None:
        return batch["label"] if self.num_classes else None

    # -- data ---------------------------------------------------------------------------------------
    def train_dataset(self) -> ClipDataset:
        d = self.config["data"]
        if not d["train_dir"]:
            raise ConfigError(
                "data.train_dir is not set (a data dir with wav.scp or a folder of audio files)"
            )
        clips = subset(self._all_clips(), d["max_clips"])
        labels = self.labels()
        if labels:
            unknown = sorted({str(c.label) for c in clips} - set(labels))
            if unknown:
                raise DataDirError(f"training label '{unknown[0]}' is not in model.labels")
        return ClipDataset(
            clips,
            d["sample_rate"],
            self.slice_len(),
            labels=labels or None,
            random_crop=True,
            normalize=d["normalize"],
        )

    def real_input(self, batch: dict[str, Tensor]) -> Tensor:
        """D's real input from a batch: the clips ``Tensor[B, 1, slice_len]`` (SpecGAN: spectrograms)."""
        return batch["audio"]

    # -- losses -------------------------------------------------------------------------------------
    def _fake(self, n: int, labels: Tensor | None = None) -> Tensor:
        g = self.nets["generator"]
        z = torch.rand(n, self.config["model"]["latent_dim"], device=self.device) * 2 - 1
        return g(z, labels)

    def _critic(self, labels: Tensor | None):
        """D as a function of its input alone (for the penalties), DiffAugment in front when configured."""
        d = self.nets["discriminator"]
        return lambda x: d(self.augment(x), labels)

    def discriminator_loss(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """``batch["audio"]: Tensor[B, 1, slice_len]`` of real clips (``batch["label"]: Tensor[B]``)."""
        labels = self._batch_labels(batch)
        real, critic = self.real_input(batch), self._critic(labels)
        with torch.no_grad():
            fake = self._fake(real.shape[0], labels)
        real_logits, fake_logits = critic(real), critic(fake)
        loss = self.gan.d_loss(real_logits, fake_logits)
        out = {"adv": loss.detach(), "wdist": (real_logits.mean() - fake_logits.mean()).detach()}
        cfg = self.config["loss"]
        if cfg["gp_weight"] > 0 and self.gan.name == "wgan-gp":
            gp = gradient_penalty(critic, real, fake)
            loss = loss + cfg["gp_weight"] * gp
            out["gp"] = gp.detach()
        if cfg["r1_weight"] > 0:
            r1 = r1_penalty(critic, real)
            loss = loss + cfg["r1_weight"] / 2 * r1
            out["r1"] = r1.detach()
        out["loss"] = loss
        return out

    def generator_loss(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        labels = self._batch_labels(batch)
        real, critic = self.real_input(batch), self._critic(labels)
        fake_logits = critic(self._fake(real.shape[0], labels))
        if self.gan.needs_real_for_g:
            loss = self.gan.g_loss(fake_logits, critic(real))
        else:
            loss = self.gan.g_loss(fake_logits)
        return {"loss": loss, "adv": loss.detach()}

    def after_update(self, group: str) -> None:
        limit = self.config["loss"]["clip_weights"]
        if group == "discriminator" and limit > 0:
            clip_weights(self.nets["discriminator"], limit)

    # -- evaluation ---------------------------------------------------------------------------------
    def to_audio(self) -> nn.Module | None:
        """What turns the generator's output into audio (None: it is audio; SpecGAN: Griffin-Lim)."""
        return None

    def _generate(self, seed: int, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``n`` clips ``ndarray[n, 1, T]`` from the fixed latents of ``seed`` (classes in turn when
        conditional) and their class indices."""
        from audiogan.inference.generate import cycle_labels, latents, run_generator

        z = latents(seed, n, self.config["model"]["latent_dim"])
        labels = cycle_labels(n, self.num_classes) if self.num_classes else None
        audio = run_generator(
            self.nets["generator"], z, 64, str(self.device), labels=labels, to_audio=self.to_audio()
        )
        return audio, labels

    @torch.no_grad()
    def evaluate(self, outdir: Path) -> dict[str, float]:
        from audiogan.inference.generate import save_spectrogram_grid, write_samples

        e, sr = self.config["eval"], self.config["data"]["sample_rate"]
        audio, labels = self._generate(e["seed"], e["num_samples"])
        words = self.labels()
        names = [
            f"sample_{i:03d}" + (f"_{words[int(labels[i])]}" if labels is not None else "")
            for i in range(len(audio))
        ]
        step = self.step
        folder = Path(outdir) / "samples" / f"step-{step:07d}"
        write_samples(audio, sr, folder, names)
        grid = save_spectrogram_grid(audio, sr, folder / "grid.png", titles=names if words else None)
        if self.writer is not None:
            for i in range(min(4, len(audio))):
                self.writer.add_audio(f"sample_{i}", torch.from_numpy(audio[i, 0]), step, sample_rate=sr)
            import matplotlib.image as mpimg

            img = mpimg.imread(grid)[..., :3]
            self.writer.add_image("spectrograms", img, step, dataformats="HWC")
        metrics = {"sample_rms": float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))}
        if e["classifier"]:
            metrics.update(self._inception_score())
        return metrics

    def _inception_score(self) -> dict[str, float]:
        from audiogan.metrics.generation import inception_score, load_classifier

        if self._classifier is None:
            from audiogan.pretrained import resolve_model

            self._classifier = load_classifier(resolve_model(self.config["eval"]["classifier"], "classifier"))
        clf = self._classifier
        audio, labels = self._generate(self.config["eval"]["seed"] + 1, self.config["eval"]["is_samples"])
        probs = clf.probabilities(clf.prepare(audio[:, 0], self.config["data"]["sample_rate"]))
        mean, std = inception_score(probs)
        out = {"inception_score": mean, "inception_score_std": std}
        if labels is not None:
            # the share of clips the classifier hears as the word they were asked for (-1: a word it lacks)
            index = {name: i for i, name in enumerate(clf.labels)}
            words = self.labels()
            want = np.array([index.get(words[int(k)], -1) for k in labels])
            out["word_accuracy"] = float(np.mean(probs.argmax(1) == want))
        return out

    def inference_state(self) -> dict[str, Any]:
        return {
            "sample_rate": int(self.config["data"]["sample_rate"]),
            "slice_len": int(self.slice_len()),
            "latent_dim": int(self.config["model"]["latent_dim"]),
            "labels": self.labels(),
        }
