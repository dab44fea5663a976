"""Built-in trained models, shipped inside the package (no download, ever).

Each built-in is an inference-only checkpoint ``<file>.pt`` (the generator's EMA weights stored as fp16 and
loaded as fp32, plus the training config and inference settings: see ``audiogan export``) with a model card
``<file>.md`` beside it: data, recipe command, steps, training time, scores and the training data's licence.
Commands take ``-m builtin:NAME``; without ``-m`` they use the default built-in of their task.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audiogan.errors import AudioGanError

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Builtin:
    name: str
    task: str  # its task family: segan, ctfgan, cyclegan_vc2, stargan_vc2, wavegan, specgan, classifier
    file: str  # checkpoint file name in this folder; the card is the same stem with .md
    summary: str

    @property
    def path(self) -> Path:
        return HERE / self.file

    @property
    def card_path(self) -> Path:
        return self.path.with_suffix(".md")

    def card(self) -> str:
        return self.card_path.read_text(encoding="utf-8")


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin(
            "ctfgan-speechmix-cpu",
            "ctfgan",
            "ctfgan_speechmix_cpu.pt",
            "speech enhancement (any rate, channels and length; streamed): a 19 k-parameter compact "
            "time-frequency GAN (GTCRN-class, metric discriminator) trained on 2 CPU cores by "
            "egs/speechmix/ctfgan on on-the-fly mixtures; the default of `audiogan denoise`",
        ),
        Builtin(
            "segan-mini-cpu",
            "segan",
            "segan_mini_cpu.pt",
            "speech enhancement (any rate; trained on wideband and telephone-band speech): a half-width "
            "SEGAN+ trained 4,000 steps (80 min) on 2 CPU cores by egs/mini/segan",
        ),
        Builtin(
            "cyclegan-vc2-sf1-tm1",
            "cyclegan_vc2",
            "cyclegan_vc2_sf1_tm1.pt",
            "voice conversion between VCC2016 speakers SF1 (female, A) and TM1 (male, B): --direction A2B "
            "female -> male, B2A male -> female; a quarter-width CycleGAN-VC2 trained 8,000 steps on 2 CPU "
            "cores by egs/vcc2016/cyclegan_vc2",
        ),
        Builtin(
            "specgan-sc10-cond-cpu",
            "specgan",
            "specgan_sc10_cond_cpu.pt",
            "class-conditional 1 s clips of the 10 Speech Commands words (16 kHz; `--word WORD` or "
            "`--word all`): a d=16 SpecGAN (128x128 log spectrograms, Griffin-Lim) trained on 2 CPU cores by "
            "egs/mini/wavegan (conf/specgan_cond_cpu.yaml); the default of `audiogan generate`",
        ),
        Builtin(
            "wavegan-sc10-cpu",
            "wavegan",
            "wavegan_sc10_cpu.pt",
            "unconditional 1 s clips of the 10 Speech Commands words (16 kHz): a d=16 WaveGAN trained on "
            "2 CPU cores by egs/mini/wavegan (conf/wavegan_cpu.yaml)",
        ),
        Builtin(
            "sc10-word-classifier",
            "classifier",
            "sc10_word_classifier.pt",
            "log-mel CNN over the 10 Speech Commands words (yes no up down left right on off stop go), "
            "the scorer of `audiogan score generation` (Inception Score, NDB)",
        ),
    )
    if (HERE / b.file).is_file()
}

# task -> the built-in its command uses without -m
DEFAULTS = {
    "denoise": "ctfgan-speechmix-cpu",  # the command's default, whichever family wins (issue 19)
    "ctfgan": "ctfgan-speechmix-cpu",
    "segan": "segan-mini-cpu",
    "cyclegan_vc2": "cyclegan-vc2-sf1-tm1",
    "generate": "specgan-sc10-cond-cpu",  # the command's default, WaveGAN or SpecGAN (issue 21)
    "specgan": "specgan-sc10-cond-cpu",
    "wavegan": "wavegan-sc10-cpu",
    "classifier": "sc10-word-classifier",
}
PREFIX = "builtin:"


def resolve_model(spec: str | None, task: str) -> str | Path:
    """``None`` -> the task's default built-in; ``builtin:NAME`` -> that built-in's file; else ``spec``."""
    if spec is None:
        name = DEFAULTS.get(task)
        if name is None or name not in BUILTINS:
            raise AudioGanError(f"no built-in {task} model ships with this install; pass -m CHECKPOINT")
        return BUILTINS[name].path
    if spec.startswith(PREFIX):
        name = spec[len(PREFIX) :]
        if name not in BUILTINS:
            known = ", ".join(BUILTINS) or "none"
            raise AudioGanError(f"unknown built-in model '{name}' (built-ins: {known}; `audiogan models`)")
        if BUILTINS[name].task != task:
            raise AudioGanError(f"built-in '{name}' is a {BUILTINS[name].task} model, not {task}")
        return BUILTINS[name].path
    return spec
