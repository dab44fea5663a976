"""Pictures of audio: log-mel spectrograms side by side or stacked, written as PNG (matplotlib's Agg).

Used by ``audiogan denoise --plot`` / ``audiogan convert --plot`` (before/after) and the experiment
reports. Files are written atomically with the permissions a plain ``open()`` would give.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def log_mel_db(x: np.ndarray, sample_rate: int, n_mels: int = 80) -> np.ndarray:
    """Log-mel power in dB of ``x: ndarray[T]`` (or ``[C, T]``, downmixed): ``ndarray[n_mels, F]``.

    Windows of 64 ms at a 16 ms hop, whatever the rate, so pictures of different rates line up in time.
    """
    import torch
    import torchaudio

    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=0)
    n_fft = 1 << int(np.ceil(np.log2(0.064 * sample_rate)))
    hop = max(1, int(round(0.016 * sample_rate)))
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate, n_fft=n_fft, hop_length=hop, n_mels=min(n_mels, n_fft // 4), f_max=sample_rate / 2
    )
    with torch.no_grad():
        p = mel(torch.from_numpy(np.ascontiguousarray(x)))
    return (10 * torch.log10(p.clamp_min(1e-10))).numpy()


def save_spectrograms(
    signals: Sequence[np.ndarray],
    sample_rate: int | Sequence[int],
    path: str | os.PathLike,
    titles: Sequence[str] | None = None,
    *,
    width: float = 8.0,
    panel_height: float = 2.0,
) -> Path:
    """Stacked log-mel spectrograms of ``signals`` (each ``ndarray[T]`` or ``[C, T]``) on one dB scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from audiogan.audio import _tmp_path

    path = Path(path)
    rates = [sample_rate] * len(signals) if isinstance(sample_rate, int) else list(sample_rate)
    specs = [log_mel_db(x, sr) for x, sr in zip(signals, rates)]
    top = max((float(s.max()) for s in specs if s.size), default=0.0)
    fig, axes = plt.subplots(len(specs), 1, figsize=(width, panel_height * len(specs)), squeeze=False,
                             layout="constrained")
    for i, (ax, spec, x, sr) in enumerate(zip(axes[:, 0], specs, signals, rates)):
        seconds = np.asarray(x).shape[-1] / sr
        im = ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=top - 80, vmax=top,
                       extent=(0, seconds, 0, spec.shape[0]))
        ax.set_ylabel("mel bin")
        if titles:
            ax.set_title(titles[i], fontsize=9, loc="left")
        if i == len(specs) - 1:
            ax.set_xlabel("time (s)")
    fig.colorbar(im, ax=axes[:, 0].tolist(), label="dB", pad=0.01)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    try:
        fig.savefig(tmp, dpi=90, format="png")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path


PLOT_MAX_SECONDS = 60.0  # longer files: the picture shows their first minute


def plot_before_after(src: str | os.PathLike, dst: str | os.PathLike, what: str = "output") -> Path:
    """``<dst>.png`` beside an output: log-mel spectrograms of the input (top) and the output (bottom, titled
    ``what``: e.g. "enhanced", "converted"). Each file is shown at its own rate."""
    from audiogan.audio import info, load
    from audiogan.errors import AudioGanError

    src, dst = Path(src), Path(dst)
    rates = [info(src).sample_rate, info(dst).sample_rate]
    before, _ = load(src, mono=True, frames=int(PLOT_MAX_SECONDS * rates[0]))
    after, _ = load(dst, mono=True, frames=int(PLOT_MAX_SECONDS * rates[1]))
    png = dst.with_name(dst.name + ".png")
    if png.resolve() == src.resolve():
        raise AudioGanError(f"{png}: the picture would overwrite an input")
    return save_spectrograms([before[0], after[0]], rates, png, [f"input: {src.name}", f"{what}: {dst.name}"])
