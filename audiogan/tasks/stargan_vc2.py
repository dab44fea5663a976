"""StarGAN-VC2 training task (Kaneko et al., Interspeech 2019): one generator ``G(x, c, c')`` converts speaker
``c`` to any of N speakers ``c'``; one projection discriminator ``D(y, c, c')``.

Each item draws a crop ``x`` of a source utterance (speaker ``c``), a random target speaker ``c' != c`` and a
crop ``y`` of a random utterance of ``c'``. Losses (LSGAN, as the paper; weights as CycleGAN-VC2's task)::

    D:  d_loss(D(y, c, c'), D(G(x, c, c'), c, c'))          source-and-target conditional adversarial loss
    G:  adv(D(G(x, c, c'), c, c'))
      + 10 * |G(G(x, c, c'), c', c) - x|_1                   cycle consistency
      + 5 * |G(x, c, c) - x|_1                               identity, only for step < identity_steps

Data: one Kaldi-style data dir with WORLD features (``feats.scp`` + ``world.json``, made by
``audiogan features extract`` exactly as for CycleGAN-VC2) per speaker, listed in ``data.train_dirs``; the
speaker names come from ``data.speakers`` or each dir's ``utt2spk``. Per-speaker statistics (envelope and
log-F0) of all N speakers go into the checkpoint, so ``audiogan convert --source X --target Y`` needs nothing
else. Crops come from :class:`audiogan.tasks.cyclegan_vc2.CropPairDataset` (one per ordered speaker pair).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset

from audiogan.data.sampling import index_and_rng
from audiogan.errors import ConfigError
from audiogan.features import world
from audiogan.models.registry import build
from audiogan.nn.losses import get_gan_loss
from audiogan.paths import check_name, child_path
from audiogan.tasks.cyclegan_vc2 import CropPairDataset, mcd_and_f0, sentence_id
from audiogan.train.task import AdversarialTask, base_config


class SpeakerCropDataset(Dataset):
    """Random crops for many-to-many training from N per-speaker pools of ``ndarray[D, frames]``.

    Item ``key`` -> ``(x: Tensor[D, crop], y: Tensor[D, crop], src: int, tgt: int)``: the key's index picks a
    source utterance (speakers' kept utterances back to back), its RNG a target speaker ``tgt != src``, a
    random utterance of ``tgt`` and both crop offsets (through the ``(src, tgt)`` :class:`CropPairDataset`,
    which also applies the short-utterance policy).
    """

    def __init__(self, pools: list[list[np.ndarray]], names: list[str], crop: int, short: str = "pad"):
        if len(pools) < 2 or len(pools) != len(names):
            raise ConfigError(f"many-to-many training needs at least 2 speakers, got {len(pools)}")
        self.pairs: dict[tuple[int, int], CropPairDataset] = {}
        for s, pool_s in enumerate(pools):
            for t, pool_t in enumerate(pools):
                if s == t:
                    continue
                try:
                    self.pairs[s, t] = CropPairDataset(pool_s, pool_t, crop, short)
                except ConfigError as e:  # "domain A: ..." -> "speaker SF1: ..."
                    text = str(e)
                    if not text.startswith("domain "):
                        raise
                    who = names[s] if text.startswith("domain A") else names[t]
                    raise ConfigError(f"speaker {who}: {text.split(': ', 1)[1]}") from None
        self.n = len(pools)
        self.sizes = [len(self.pairs[s, (s + 1) % self.n].pools[0]) for s in range(self.n)]
        self.skipped = {names[s]: self.pairs[s, (s + 1) % self.n].skipped["A"] for s in range(self.n)}
        self.offsets = np.cumsum([0, *self.sizes])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, key) -> tuple[Tensor, Tensor, int, int]:
        index, rng = index_and_rng(key)
        index %= len(self)
        src = int(np.searchsorted(self.offsets, index, side="right")) - 1
        tgt = int(rng.integers(0, self.n - 1))
        tgt += tgt >= src  # uniform over the other speakers
        x, y = self.pairs[src, tgt][(index - int(self.offsets[src]), int(rng.integers(0, 2**62)))]
        return x, y, src, tgt


class StarGANVC2Task(AdversarialTask):
    name = "stargan_vc2"
    generators = ("generator",)
    discriminators = ("discriminator",)
    best_metric = "mcd"
    best_mode = "min"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(
            task=cls.name,
            model={
                "feature_dim": 36,  # coded envelope dims; must equal the features' coded_dim
                "speakers": [],  # speaker names in code order; filled from the data when empty
                "generator": {"channels": 128, "down_channels": 256, "res_channels": 256,
                              "res_hidden_channels": 512, "num_residual": 9,
                              "condition": "pair"},  # pair: source-and-target code (paper) | target
                "discriminator": {"channels": [128, 256, 512, 1024], "final_kernel": [1, 5],
                                  "pooling": "sum"},  # sum (paper) | mean
            },
            data={
                "train_dirs": [],  # one data dir with WORLD features (feats.scp + world.json) per speaker
                "speakers": [],  # their names (default: each dir's utt2spk speaker, else the dir's name)
                "stats": [],  # optional SpeakerStats json per speaker (default: computed from the features)
                "crop_frames": 128,
                "short_utterances": "pad",  # pad | skip: utterances shorter than a crop
                "dev_dirs": [],  # optional data dirs (wav.scp + utt2spk), converted at every evaluation
                "dev_pairs": [],  # "SRC:TGT" directions evaluated (default: each dev speaker to the next)
                "dev_max_utts": 2,
            },
            loss={"gan": "lsgan", "adv_weight": 1.0, "cycle": 10.0, "identity": 5.0, "identity_steps": 10000},
            trainer={"max_steps": 300000, "batch_size": 8, "log_interval": 100, "save_interval": 10000,
                     "eval_interval": 10000, "keep_last": 3},
            optim={"generator": {"lr": 2e-4, "betas": [0.5, 0.999]},
                   "discriminator": {"lr": 1e-4, "betas": [0.5, 0.999]}},
            scheduler={"generator": {"name": "linear_decay", "start_step": 150000},
                       "discriminator": {"name": "linear_decay", "start_step": 150000}},
        )

    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        return build("stargan_vc2", config, discriminators=True)

    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        self.gan = get_gan_loss(config["loss"]["gan"])
        self._data: dict[str, Any] | None = None
        self._cache: tuple[Any, dict[str, Tensor]] | None = None
        self._dev: dict[str, list[tuple[str, np.ndarray]]] | None = None
        if config["data"]["train_dirs"]:
            names = self._speaker_names()
            if not config["model"]["speakers"]:  # networks need the speaker count before any data is read
                config["model"]["speakers"] = names
            elif list(config["model"]["speakers"]) != names:
                raise ConfigError(f"model.speakers {config['model']['speakers']} differ from the training "
                                  f"data's speakers {names}")

    # -- data ---------------------------------------------------------------------------------------
    def _speaker_names(self) -> list[str]:
        d = self.config["data"]
        dirs, names = [Path(p) for p in d["train_dirs"]], list(d["speakers"])
        if names and len(names) != len(dirs):
            raise ConfigError(f"data.speakers names {len(names)} speakers, data.train_dirs {len(dirs)}")
        if d["stats"] and len(d["stats"]) != len(dirs):
            raise ConfigError(f"data.stats lists {len(d['stats'])} files, data.train_dirs {len(dirs)} dirs")
        for i, datadir in enumerate(dirs):
            if not datadir.is_dir():
                raise ConfigError(f"data.train_dirs: {datadir} is not a directory")
            if len(names) <= i:
                utt2spk = datadir / "utt2spk"
                spk = set(world.read_scp(utt2spk).values()) if utt2spk.is_file() else set()
                if len(spk) > 1:
                    raise ConfigError(f"{datadir}: utt2spk names {len(spk)} speakers; one dir per speaker")
                names.append(spk.pop() if spk else datadir.name)
        names = [check_name(str(n), "speaker name") for n in names]
        if len(set(names)) != len(names):
            raise ConfigError(f"speaker names repeat: {names}")
        if len(names) < 2:
            raise ConfigError("data.train_dirs must list at least 2 speakers' data dirs")
        return names

    def _load_speaker(self, datadir: Path, stats_path: str) -> tuple[world.WorldConfig, list[np.ndarray],
                                                                     world.SpeakerStats]:
        """(WORLD settings, normalised ``ndarray[D, frames]`` per utterance, statistics) of one speaker,
        normalised as CycleGANVC2Task does."""
        wcfg = world.load_world_config(datadir)
        feats = world.load_feats(datadir / world.FEATS_SCP)
        if not feats:
            raise ConfigError(f"{datadir}: feats.scp lists no utterances")
        stats = world.SpeakerStats.load(stats_path) if stats_path else world.compute_stats(feats.values())
        pool = [world.normalize_coded_sp(f["coded_sp"], stats).T.astype(np.float32) for f in feats.values()]
        return wcfg, pool, stats

    def _prepare(self) -> dict[str, Any]:
        if self._data is None:
            d, names = self.config["data"], list(self.config["model"]["speakers"])
            if not d["train_dirs"]:
                raise ConfigError("data.train_dirs is not set (one data dir with WORLD features per speaker)")
            stats_files = list(d["stats"]) or [""] * len(names)
            loaded = [self._load_speaker(Path(p), s) for p, s in zip(d["train_dirs"], stats_files)]
            wcfg = loaded[0][0]
            for name, (cfg, _, _) in zip(names, loaded):
                if cfg != wcfg:
                    raise ConfigError(f"speaker {name}'s features were extracted with other WORLD settings "
                                      f"({cfg} vs {wcfg})")
            dim = self.config["model"]["feature_dim"]
            if wcfg.coded_dim != dim:
                raise ConfigError(f"model.feature_dim is {dim} but the features have {wcfg.coded_dim} dims")
            self._data = {"world": wcfg, "names": names, "pools": [p for _, p, _ in loaded],
                          "stats": {n: s for n, (_, _, s) in zip(names, loaded)}}
        return self._data

    def train_dataset(self) -> Dataset:
        data, d = self._prepare(), self.config["data"]
        ds = SpeakerCropDataset(data["pools"], data["names"], d["crop_frames"], d["short_utterances"])
        for name, n in ds.skipped.items():
            if n:
                print(f"audiogan: warning: skipped {n} training utterances of {name} shorter than "
                      f"{d['crop_frames']} frames", file=sys.stderr)
        return ds

    # -- losses -------------------------------------------------------------------------------------
    def _generate(self, batch: Any) -> dict[str, Tensor]:
        """Converted and cycled crops (with graph), cached for the generator step on the same batch (the
        generator does not change in between), as CycleGANVC2Task does."""
        if self._cache is not None and self._cache[0] is batch:
            out = self._cache[1]
            self._cache = None
            return out
        x, _, src, tgt = batch
        fake = self.nets["generator"](x, src, tgt)
        return {"fake": fake, "cycle": self.nets["generator"](fake, tgt, src)}

    def discriminator_loss(self, batch: Any) -> dict[str, Tensor]:
        _, y, src, tgt = batch
        out = self._generate(batch)
        self._cache = (batch, out)
        D = self.nets["discriminator"]
        adv = self.gan.d_loss(D(y, src, tgt), D(out["fake"].detach(), src, tgt))
        return {"loss": adv, "adv": adv}

    def identity_weight(self, step: int | None = None) -> float:
        """``loss.identity`` before ``loss.identity_steps`` (default: at the current step), then 0."""
        cfg = self.config["loss"]
        step = self.step if step is None else step
        return float(cfg["identity"]) if step < cfg["identity_steps"] else 0.0

    def generator_loss(self, batch: Any) -> dict[str, Tensor]:
        x, y, src, tgt = batch
        cfg, G = self.config["loss"], self.nets["generator"]
        out = self._generate(batch)
        cycle = F.l1_loss(out["cycle"], x)
        loss = cfg["cycle"] * cycle
        losses: dict[str, Tensor] = {"cycle": cycle}
        w_id = self.identity_weight()
        if w_id > 0:
            identity = F.l1_loss(G(x, src, src), x)
            loss = loss + w_id * identity
            losses["identity"] = identity
        if self.adversarial:
            D = self.nets["discriminator"]
            real = D(y, src, tgt) if self.gan.needs_real_for_g else None
            adv = self.gan.g_loss(D(out["fake"], src, tgt), real)
            loss = loss + cfg["adv_weight"] * adv
            losses["adv"] = adv
        return {"loss": loss, **losses}

    # -- evaluation and inference ---------------------------------------------------------------------
    def inference_state(self) -> dict[str, Any]:
        data = self._prepare()
        return {"world": data["world"].to_dict(), "speakers": list(data["names"]),
                "stats": {n: s.to_dict() for n, s in data["stats"].items()}}

    def _dev_set(self) -> dict[str, list[tuple[str, np.ndarray]]]:
        """``{speaker: [(sentence id, waveform), ...]}`` from data.dev_dirs (cached)."""
        if self._dev is None:
            from audiogan.inference.convert import load_mono

            d, wcfg = self.config["data"], self._prepare()["world"]
            names = set(self._prepare()["names"])
            self._dev = {}
            for path in d["dev_dirs"]:
                datadir = Path(path)
                wavs = world.read_wav_scp(datadir)
                utt2spk = world.read_scp(datadir / "utt2spk") if (datadir / "utt2spk").is_file() else {}
                for utt in sorted(wavs):
                    spk = utt2spk.get(utt, datadir.name)
                    if spk not in names:
                        raise ConfigError(f"{datadir}: dev speaker '{spk}' is not a training speaker")
                    entries = self._dev.setdefault(spk, [])
                    if len(entries) < d["dev_max_utts"]:
                        sid = check_name(sentence_id(utt, spk), f"{datadir}: utterance id")
                        entries.append((sid, load_mono(wavs[utt], wcfg.sample_rate)))
        return self._dev

    def dev_pairs(self) -> list[tuple[str, str]]:
        """The (source, target) directions evaluated: ``data.dev_pairs`` or each dev speaker to the next."""
        dev, names = self._dev_set(), self._prepare()["names"]
        if not self.config["data"]["dev_pairs"]:
            have = [n for n in names if n in dev]
            return [(a, b) for a, b in zip(have, have[1:] + have[:1]) if a != b]
        pairs = []
        for text in self.config["data"]["dev_pairs"]:
            a, _, b = str(text).partition(":")
            if a not in dev or b not in names or a == b:
                raise ConfigError(f"data.dev_pairs: '{text}' is not SRC:TGT of two training speakers "
                                  f"(SRC with dev data)")
            pairs.append((a, b))
        return pairs

    def evaluate(self, outdir: Path) -> dict[str, float]:
        """Convert the dev utterances of each dev pair into ``outdir/dev/step-N/<SRC>_to_<TGT>/``; with a
        parallel reference (same sentence id in the target's dev set) report MCD [dB] and F0 RMSE [Hz]."""
        from audiogan import audio
        from audiogan.inference.convert import VoiceConverter
        from audiogan.models.stargan_vc2 import SpeakerPairGenerator

        dev = self._dev_set()
        data = self._prepare()
        wcfg, stats, names = data["world"], data["stats"], data["names"]
        step_dir = Path(outdir) / "dev" / f"step-{self.step}"
        metrics: dict[str, float] = {}
        mcds = []
        for a, b in self.dev_pairs():
            net = SpeakerPairGenerator(self.nets["generator"], names.index(a), names.index(b))
            conv = VoiceConverter(net, wcfg, stats[a], stats[b], self.device, (a, b))
            refs = dict(dev.get(b, []))
            scores = []
            for sid, x in dev[a]:
                y = conv.convert(x)
                audio.save(child_path(step_dir / f"{a}_to_{b}", sid, ".wav", "dev utterance id"), y,
                           wcfg.sample_rate)
                if sid in refs:
                    scores.append(mcd_and_f0(y, refs[sid], wcfg))
            if scores:
                mcd = float(np.mean([s[0] for s in scores]))
                metrics[f"mcd_{a}_{b}"] = mcd
                metrics[f"f0_rmse_{a}_{b}"] = float(np.mean([s[1] for s in scores]))
                mcds.append(mcd)
        if mcds:
            metrics["mcd"] = float(np.mean(mcds))
        return metrics
