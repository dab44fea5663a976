"""Generation from a WaveGAN or SpecGAN checkpoint: seeded latents, requested words, interpolation and
spectrogram grids.

Latents come from ``numpy.random.default_rng(seed).uniform(-1, 1, (n, latent_dim))`` so latent ``i`` of a
seed does not depend on ``n`` or on the batch size: ``-n 5`` gives the first five files of ``-n 50``. A
conditional model gets the same latents for every word, so ``--word yes -n 5`` gives the files of
``--word all -n 5``'s ``yes/`` folder.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from audiogan.audio import save
from audiogan.errors import AudioGanError


def latents(seed: int, n: int, latent_dim: int) -> np.ndarray:
    """``ndarray[n, latent_dim]`` float32, uniform in [-1, 1] as in the reference code."""
    if n < 1:
        raise AudioGanError(f"number of samples must be at least 1, got {n}")
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, latent_dim)).astype(np.float32)


def interpolate_latents(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """Points on the line from ``start`` to ``end``: ``[N, D], [N, D] -> [N, steps, D]``; the first and last
    steps are exactly ``start`` and ``end``."""
    if steps < 2:
        raise AudioGanError(f"--interpolate needs at least 2 steps, got {steps}")
    t = np.linspace(0.0, 1.0, steps, dtype=np.float64)[None, :, None]
    out = (1.0 - t) * start[:, None, :].astype(np.float64) + t * end[:, None, :].astype(np.float64)
    out = out.astype(np.float32)
    out[:, 0], out[:, -1] = start, end  # exact endpoints whatever the rounding
    return out


def cycle_labels(n: int, num_classes: int) -> np.ndarray:
    """``ndarray[n]`` int64 class indices ``0, 1, .., K-1, 0, 1, ..``: a conditional model's balanced set."""
    return np.arange(n, dtype=np.int64) % num_classes


def requested_words(word: str | None, labels: list[str]) -> list[str] | None:
    """The words ``--word`` asks for: None (no --word), ``[word]`` or, for ``all``, every word of the model.

    ``labels``: the model's words (empty for an unconditional model). A word the model does not know, or
    any word for an unconditional model, is a one-line AudioGanError listing what the model knows.
    """
    if word is None:
        return None
    if not labels:
        raise AudioGanError(f"--word {word}: this model is unconditional (it knows no words); drop --word")
    if word == "all":
        return list(labels)
    if word not in labels:
        raise AudioGanError(f"unknown word '{word}' (this model knows: {', '.join(labels)}, or all)")
    return [word]


@torch.no_grad()
def run_generator(
    generator: nn.Module,
    z: np.ndarray,
    batch_size: int = 64,
    device: str = "cpu",
    progress: bool = False,
    labels: np.ndarray | None = None,
    to_audio: nn.Module | None = None,
) -> np.ndarray:
    """``z: ndarray[N, D]`` (and ``labels: ndarray[N]`` for a conditional generator) ``-> ndarray[N, C, T]``
    in batches; ``to_audio`` turns each output batch into audio (SpecGAN's Griffin-Lim inversion)."""
    if batch_size < 1:
        raise AudioGanError(f"--batch-size must be at least 1, got {batch_size}")
    generator = generator.to(device).eval()
    if to_audio is not None:
        to_audio = to_audio.to(device).eval()
    starts = range(0, len(z), batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="generate", unit="batch", disable=None)
    out = []
    for i in starts:
        zb = torch.from_numpy(z[i : i + batch_size]).to(device)
        if labels is None:
            x = generator(zb)
        else:
            x = generator(zb, torch.from_numpy(np.asarray(labels[i : i + batch_size])).long().to(device))
        if to_audio is not None:
            x = to_audio(x)
        out.append(x.float().cpu().numpy())
    return np.concatenate(out)


def save_spectrogram_grid(
    audio: np.ndarray,
    sample_rate: int,
    path: str | os.PathLike,
    titles: list[str] | None = None,
    columns: int | None = None,
    max_panels: int = 64,
) -> Path:
    """A grid of log-magnitude spectrograms of ``audio: ndarray[N, T]`` (or ``[N, 1, T]``) as a PNG.

    Written atomically (temporary file + rename); uses matplotlib's Agg backend, so no display is needed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    audio = np.asarray(audio, dtype=np.float32).reshape(len(audio), -1)[:max_panels]
    n = len(audio)
    cols = columns or min(n, max(1, math.ceil(math.sqrt(n))))
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 1.8 * rows), squeeze=False)
    n_fft = 512
    window = torch.hann_window(n_fft)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        spec = torch.stft(
            torch.from_numpy(audio[i]), n_fft, hop_length=128, window=window, return_complex=True
        )
        db = 20 * torch.log10(spec.abs().clamp_min(1e-5)).numpy()
        ax.imshow(
            db,
            origin="lower",
            aspect="auto",
            cmap="magma",
            vmin=-80,
            vmax=max(float(db.max()), -60),
            extent=(0, audio.shape[1] / sample_rate, 0, sample_rate / 2000),
        )
        if titles:
            ax.set_title(titles[i], fontsize=7)
    fig.tight_layout(pad=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    try:
        fig.savefig(tmp, dpi=80)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()
    return path


def write_samples(
    audio: np.ndarray, sample_rate: int, outdir: str | os.PathLike, names: list[str]
) -> list[Path]:
    """Write ``audio: ndarray[N, C, T]`` as ``outdir/<name>.wav`` (atomic, peak-guarded)."""
    outdir = Path(outdir)
    return [save(outdir / f"{name}.wav", x, sample_rate) for name, x in zip(names, audio)]
