"""CycleGAN-VC2 training task (Kaneko et al., ICASSP 2019) for the common adversarial trainer.

Networks: generators ``G_AB`` (A->B) and ``G_BA`` (B->A); discriminators ``D_A``/``D_B`` on converted
features and the second-step discriminators ``D2_A``/``D2_B`` on *cycled* features (two-step adversarial
loss).

Generator loss (LSGAN by default)::

    adv(D_B(G_AB(a))) + adv(D_A(G_BA(b)))                         one-step adversarial
  + w2 * [adv(D2_A(G_BA(G_AB(a)))) + adv(D2_B(G_AB(G_BA(b))))]      second-step adversarial (w2 = 1)
  + 10 * (|G_BA(G_AB(a)) - a|_1 + |G_AB(G_BA(b)) - b|_1)           cycle consistency
  + 5 * (|G_BA(a) - a|_1 + |G_AB(b) - b|_1)                         identity, only for step < 10k

Discriminator loss: ``D_A``/``D_B`` real vs converted, ``D2_A``/``D2_B`` real vs cycled.

Filling in frames (MaskCycleGAN-VC, Kaneko et al. 2021), off by default: with ``data.mask_frames = M > 0``
each generator input crop gets one run of ``U{0..M}`` consecutive frames set to 0 (the speaker mean, the
features being normalised) before the A->B and B->A conversions; the cycle loss still compares with the
unmasked crop, so the generators learn to fill the gap from context. Unlike the paper the mask is not fed to
the generator as an extra channel: the architecture is unchanged, so such a model converts as any other.
The identity loss sees unmasked inputs (as in the paper).

Data: two Kaldi-style data dirs with WORLD features (``feats.scp`` + ``world.json``, written by
``audiogan features extract``). Each item is a pair of random ``crop_frames``-frame crops of
normalised envelope features, one per domain: ``(Tensor[D, crop], Tensor[D, crop])``: WORLD's coded envelope
or SPTK mel-cepstra (``data.envelope``, which must match the features' ``world.json``). Speaker statistics are
computed from the training features (or read from ``data.stats_a``/``stats_b``) and stored in the checkpoint.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset

from audiogan.data.sampling import index_and_rng
from audiogan.errors import ConfigError
from audiogan.features import envelope, world
from audiogan.models.registry import build
from audiogan.nn.losses import get_gan_loss
from audiogan.paths import check_name, child_path
from audiogan.train.task import AdversarialTask, base_config

SHORT_POLICIES = ("pad", "skip")


class CropPairDataset(Dataset):
    """Random fixed-length crops from two unpaired pools of feature matrices.

    ``pool_a``/``pool_b``: lists of ``ndarray[D, N]``. Item ``key`` -> ``(Tensor[D, crop], Tensor[D, crop])``:
    utterance ``index`` of A (modulo its size) and a random utterance of B, each cropped at a random offset
    drawn from the key's RNG. Utterances shorter than ``crop`` are wrap-padded (``short="pad"``) or dropped
    at construction (``short="skip"``, counted in :attr:`skipped`).
    """

    def __init__(self, pool_a: list[np.ndarray], pool_b: list[np.ndarray], crop: int, short: str = "pad"):
        if crop < 8 or crop % 4:  # the generator halves time twice; instance norm needs 2+ frames there
            raise ConfigError(f"data.crop_frames must be a multiple of 4 and at least 8, got {crop}")
        if short not in SHORT_POLICIES:
            raise ConfigError(f"data.short_utterances must be pad or skip, got '{short}'")
        self.crop, self.short = crop, short
        self.skipped = {"A": 0, "B": 0}
        self.pools = []
        for name, pool in (("A", pool_a), ("B", pool_b)):
            kept = [p for p in pool if short == "pad" or p.shape[1] >= crop]
            self.skipped[name] = len(pool) - len(kept)
            if not kept:
                raise ConfigError(
                    f"domain {name}: no training utterance has {crop} frames or more "
                    f"({len(pool)} skipped); use data.short_utterances=pad or a smaller data.crop_frames"
                )
            self.pools.append(kept)

    def __len__(self) -> int:
        return max(len(p) for p in self.pools)

    def _crop(self, x: np.ndarray, rng: np.random.Generator) -> Tensor:
        n = x.shape[1]
        if n < self.crop:  # wrap-pad: repeats real frames instead of inventing flat ones
            x = np.pad(x, ((0, 0), (0, self.crop - n)), mode="wrap")
            n = self.crop
        start = int(rng.integers(0, n - self.crop + 1))
        return torch.from_numpy(np.ascontiguousarray(x[:, start : start + self.crop], dtype=np.float32))

    def __getitem__(self, key) -> tuple[Tensor, Tensor]:
        index, rng = index_and_rng(key)
        pool_a, pool_b = self.pools
        a = pool_a[index % len(pool_a)]
        b = pool_b[int(rng.integers(0, len(pool_b)))]
        return self._crop(a, rng), self._crop(b, rng)


def sentence_id(utt: str, spk: str | None) -> str:
    """``SF1_100028`` -> ``100028`` (speaker prefix removed) so parallel dev utterances can be paired."""
    if spk:
        for sep in ("_", "-"):
            if utt.startswith(spk + sep):
                return utt[len(spk) + 1 :]
    return utt


class CycleGANVC2Task(AdversarialTask):
    name = "cyclegan_vc2"
    generators = ("G_AB", "G_BA")
    discriminators = ("D_A", "D_B", "D2_A", "D2_B")
    best_metric = "mcd"
    best_mode = "min"

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        return base_config(
            task=cls.name,
            model={
                "feature_dim": 36,  # coded envelope dims; must equal the features' coded_dim
                "generator": {"channels": 128, "down_channels": 256, "res_channels": 256,
                              "res_hidden_channels": 512, "num_residual": 6},
                "discriminator": {"channels": [128, 256, 512, 1024], "final_kernel": [1, 5]},
            },
            data={
                "train_a": "",  # data dir with feats.scp + world.json (source speaker A)
                "train_b": "",  # same for target speaker B
                "stats_a": "",  # optional SpeakerStats json; default: computed from train_a
                "stats_b": "",
                "speaker_a": "A",  # names used in logs only
                "speaker_b": "B",
                "envelope": "coded",  # coded | mcep: the envelope features train_a/b must hold (world.json)
                "crop_frames": 128,
                "short_utterances": "pad",  # pad | skip: utterances shorter than a crop
                "dev_a": "",  # optional data dirs (wav.scp) converted at every evaluation
                "dev_b": "",
                "dev_max_utts": 4,
                "mask_frames": 0,  # >0: MaskCycleGAN-VC filling in frames, longest masked run (frames)
            },
            loss={
                "gan": "lsgan",
                "adv_weight": 1.0,  # the zoo's LSGAN term is E[(D - 1)^2]: weight 1 as in the reference code
                "cycle": 10.0,
                "identity": 5.0,
                "identity_steps": 10000,  # identity loss only while step < this
                "second_step": 1.0,  # weight of the two-step adversarial loss (0 disables it)
            },
            trainer={"max_steps": 200000, "batch_size": 1, "log_interval": 100, "save_interval": 10000,
                     "eval_interval": 10000, "keep_last": 3},
            optim={"generator": {"lr": 2e-4, "betas": [0.5, 0.999]},
                   "discriminator": {"lr": 1e-4, "betas": [0.5, 0.999]}},
            scheduler={"generator": {"name": "linear_decay", "start_step": 100000},
                       "discriminator": {"name": "linear_decay", "start_step": 100000}},
        )

    @classmethod
    def build_networks(cls, config: dict[str, Any]) -> dict[str, nn.Module]:
        # one definition for training and inference (which rebuilds from a checkpoint without this task)
        return build("cyclegan_vc2", config, discriminators=True)

    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        self.gan = get_gan_loss(config["loss"]["gan"])
        self._data: dict[str, Any] | None = None
        self._cache: tuple[Any, dict[str, Tensor]] | None = None
        self._dev: dict[str, list[tuple[str, np.ndarray, str | None]]] | None = None

    # -- data ---------------------------------------------------------------------------------------
    def _load_domain(self, key: str) -> tuple[world.WorldConfig, list[np.ndarray], world.SpeakerStats]:
        d = self.config["data"]
        path = d[f"train_{key}"]
        if not path:
            raise ConfigError(f"data.train_{key} is not set (a data dir with WORLD features: feats.scp)")
        datadir = Path(path)
        if not datadir.is_dir():
            raise ConfigError(f"data.train_{key}: {datadir} is not a directory")
        wcfg = world.load_world_config(datadir)
        feats = world.load_feats(datadir / world.FEATS_SCP)
        if not feats:
            raise ConfigError(f"{datadir}: feats.scp lists no utterances")
        if d[f"stats_{key}"]:
            stats = world.SpeakerStats.load(d[f"stats_{key}"])
        else:
            stats = world.compute_stats(feats.values())
        pool = [world.normalize_coded_sp(f["coded_sp"], stats).T.astype(np.float32) for f in feats.values()]
        return wcfg, pool, stats

    def _prepare(self) -> dict[str, Any]:
        if self._data is None:
            cfg_a, pool_a, stats_a = self._load_domain("a")
            cfg_b, pool_b, stats_b = self._load_domain("b")
            if cfg_a != cfg_b:
                raise ConfigError(f"data.train_a and data.train_b were extracted with different WORLD "
                                  f"settings ({cfg_a} vs {cfg_b})")
            dim = self.config["model"]["feature_dim"]
            if cfg_a.coded_dim != dim:
                raise ConfigError(f"model.feature_dim is {dim} but the features have {cfg_a.coded_dim} dims")
            kind, want = envelope.envelope_kind(cfg_a), self.config["data"]["envelope"]
            if kind != want:
                raise ConfigError(f"data.envelope is {want!r} but the features in data.train_a are {kind!r} "
                                  "envelopes (extract them with --envelope, or set data.envelope)")
            self._data = {"world": cfg_a, "pools": (pool_a, pool_b), "stats": {"A": stats_a, "B": stats_b}}
        return self._data

    def train_dataset(self) -> Dataset:
        data, d = self._prepare(), self.config["data"]
        m = d["mask_frames"]
        if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m < d["crop_frames"]:
            raise ConfigError(f"data.mask_frames must be an integer in 0..crop_frames-1, got {m!r}")
        ds = CropPairDataset(*data["pools"], crop=d["crop_frames"], short=d["short_utterances"])
        for key, n in ds.skipped.items():
            if n:
                name = d[f"speaker_{key.lower()}"]
                total = len(data["pools"][key == "B"])
                print(f"audiogan: warning: skipped {n} of {total} training utterances of {name} "
                      f"shorter than {d['crop_frames']} frames", file=sys.stderr)
        return ds

    # -- losses -------------------------------------------------------------------------------------
    def _generate(self, batch: Any) -> dict[str, Tensor]:
        """Converted and cycled features of a batch (with graph). Cached for the generator step that follows
        the discriminator step on the same batch: the generators do not change in between, so this equals
        recomputing them and saves one forward pass of both generators."""
        if self._cache is not None and self._cache[0] is batch:
            out = self._cache[1]
            self._cache = None
            return out
        a, b = (self.mask_frames(x) for x in batch)
        fake_b, fake_a = self.nets["G_AB"](a), self.nets["G_BA"](b)
        out = {"fake_b": fake_b, "fake_a": fake_a,
               "cycle_a": self.nets["G_BA"](fake_b), "cycle_b": self.nets["G_AB"](fake_a)}
        return out

    def mask_frames(self, x: Tensor) -> Tensor:
        """``x: Tensor[B, D, N]`` with one random run of ``U{0..data.mask_frames}`` frames per item set to 0
        (a copy; ``x`` itself when masking is off). Drawn from torch's RNG, which the trainer seeds and
        checkpoints, so a resumed run draws the same masks."""
        longest = int(self.config["data"]["mask_frames"])
        if longest <= 0:
            return x
        n = x.shape[-1]
        lengths = torch.randint(0, longest + 1, (x.shape[0],))
        starts = (torch.rand(x.shape[0]) * (n - lengths + 1)).long()
        t = torch.arange(n)
        keep = ~((t >= starts[:, None]) & (t < (starts + lengths)[:, None]))  # [B, N]
        return x * keep[:, None, :].to(x.device, x.dtype)

    def discriminator_loss(self, batch: Any) -> dict[str, Tensor]:
        a, b = batch
        out = self._generate(batch)
        self._cache = (batch, out)
        D = self.nets
        d_a = self.gan.d_loss(D["D_A"](a), D["D_A"](out["fake_a"].detach()))
        d_b = self.gan.d_loss(D["D_B"](b), D["D_B"](out["fake_b"].detach()))
        losses = {"adv_a": d_a, "adv_b": d_b}
        loss = d_a + d_b
        w2 = self.config["loss"]["second_step"]
        if w2 > 0:
            d2_a = self.gan.d_loss(D["D2_A"](a), D["D2_A"](out["cycle_a"].detach()))
            d2_b = self.gan.d_loss(D["D2_B"](b), D["D2_B"](out["cycle_b"].detach()))
            losses.update(adv2_a=d2_a, adv2_b=d2_b)
            loss = loss + w2 * (d2_a + d2_b)
        return {"loss": loss, **losses}

    def identity_weight(self, step: int | None = None) -> float:
        """The identity-loss weight at ``step`` (default: the current step): ``loss.identity`` before
        ``loss.identity_steps``, then 0."""
        cfg = self.config["loss"]
        step = self.step if step is None else step
        return float(cfg["identity"]) if step < cfg["identity_steps"] else 0.0

    def _g_adv(self, d: str, x: Tensor, real: Tensor) -> Tensor:
        fake_logits = self.nets[d](x)
        real_logits = self.nets[d](real) if self.gan.needs_real_for_g else None
        return self.gan.g_loss(fake_logits, real_logits)

    def generator_loss(self, batch: Any) -> dict[str, Tensor]:
        a, b = batch
        cfg = self.config["loss"]
        out = self._generate(batch)
        cycle = F.l1_loss(out["cycle_a"], a) + F.l1_loss(out["cycle_b"], b)
        loss = cfg["cycle"] * cycle
        losses: dict[str, Tensor] = {"cycle": cycle}
        w_id = self.identity_weight()
        if w_id > 0:
            identity = F.l1_loss(self.nets["G_BA"](a), a) + F.l1_loss(self.nets["G_AB"](b), b)
            loss = loss + w_id * identity
            losses["identity"] = identity
        if self.adversarial:
            adv = self._g_adv("D_B", out["fake_b"], b) + self._g_adv("D_A", out["fake_a"], a)
            loss = loss + cfg["adv_weight"] * adv
            losses["adv"] = adv
            w2 = cfg["second_step"]
            if w2 > 0:  # the two-step adversarial loss on cycled features (what CycleGAN-VC2 adds)
                adv2 = self._g_adv("D2_A", out["cycle_a"], a) + self._g_adv("D2_B", out["cycle_b"], b)
                loss = loss + cfg["adv_weight"] * w2 * adv2
                losses["adv2"] = adv2
        return {"loss": loss, **losses}

    # -- evaluation and inference ---------------------------------------------------------------------
    def inference_state(self) -> dict[str, Any]:
        data = self._prepare()
        d = self.config["data"]
        return {
            "world": data["world"].to_dict(),
            "stats": {k: s.to_dict() for k, s in data["stats"].items()},
            "speakers": {"A": d["speaker_a"], "B": d["speaker_b"]},
        }

    def _dev_set(self) -> dict[str, list[tuple[str, np.ndarray, str | None]]]:
        """``{"A": [(sentence id, waveform, speaker), ...], "B": [...]}`` from data.dev_a / dev_b (cached)."""
        if self._dev is None:
            from audiogan.inference.convert import load_mono

            d, wcfg = self.config["data"], self._prepare()["world"]
            self._dev = {}
            for key in ("a", "b"):
                entries: list[tuple[str, np.ndarray, str | None]] = []
                if d[f"dev_{key}"]:
                    datadir = Path(d[f"dev_{key}"])
                    wavs = world.read_wav_scp(datadir)
                    utt2spk = world.read_scp(datadir / "utt2spk") if (datadir / "utt2spk").is_file() else {}
                    for utt in sorted(wavs)[: d["dev_max_utts"]]:
                        x = load_mono(wavs[utt], wcfg.sample_rate)
                        sid = check_name(sentence_id(utt, utt2spk.get(utt)), f"{datadir}: utterance id")
                        entries.append((sid, x, utt2spk.get(utt)))
                self._dev[key.upper()] = entries
        return self._dev

    def evaluate(self, outdir: Path) -> dict[str, float]:
        """Convert the dev utterances both ways into ``outdir/dev/step-N/{A2B,B2A}/``.

        With parallel references (same sentence id in the other dev set) report MCD [dB] and F0 RMSE [Hz].
        """
        from audiogan import audio
        from audiogan.inference.convert import VoiceConverter

        dev = self._dev_set()
        if not dev["A"] and not dev["B"]:
            return {}
        data = self._prepare()
        wcfg, stats = data["world"], data["stats"]
        step_dir = Path(outdir) / "dev" / f"step-{self.step}"
        metrics: dict[str, float] = {}
        mcds = []
        for direction, src, tgt, net in (("A2B", "A", "B", "G_AB"), ("B2A", "B", "A", "G_BA")):
            conv = VoiceConverter(self.nets[net], wcfg, stats[src], stats[tgt], self.device)
            refs = {sid: x for sid, x, _ in dev[tgt]}
            scores = []
            for sid, x, _ in dev[src]:
                y = conv.convert(x)
                audio.save(child_path(step_dir / direction, sid, ".wav", "dev utterance id"), y,
                           wcfg.sample_rate)
                if sid in refs:
                    scores.append(mcd_and_f0(y, refs[sid], wcfg))
            if scores:
                mcd = float(np.mean([s[0] for s in scores]))
                metrics[f"mcd_{direction.lower()}"] = mcd
                metrics[f"f0_rmse_{direction.lower()}"] = float(np.mean([s[1] for s in scores]))
                mcds.append(mcd)
        if mcds:
            metrics["mcd"] = float(np.mean(mcds))
        return metrics


def mcd_and_f0(converted: np.ndarray, reference: np.ndarray, wcfg: world.WorldConfig) -> tuple[float, float]:
    """(MCD [dB], F0 RMSE [Hz]) of a converted signal against a parallel reference, both at the model's rate,
    scored exactly as ``audiogan score conversion`` does (DTW-aligned mel-cepstra c1..c24)."""
    from audiogan.metrics import conversion

    settings = conversion.ScoreSettings(world=wcfg)
    r = conversion.score_pair(converted, reference, wcfg.sample_rate, settings)
    return float(r["mcd"]), float(r["f0_rmse"])
