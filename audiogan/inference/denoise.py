"""Streaming speech enhancement with a SEGAN or ctfgan generator: any length, rate and channel count, flat
memory.

Pipeline per file, block by block (an hour-long file is never loaded whole)::

    read block [C, t] at the file's rate -> resample to 16 kHz (streaming, seamless)
    -> pre-emphasis (stateful) -> Hann windows of `window` samples at 50 % hop, batched across time
    and channels -> generator -> overlap-add -> de-emphasis (stateful IIR) -> resample back
    (streaming) -> float32 temp file

A periodic Hann window at 50 % hop sums to exactly one, and the signal is padded with half a window of
zeros at both ends, so every sample is the cross-fade of two windows (an identity generator reconstructs
the input). Each channel is enhanced on its own. Files shorter than a window are padded and trimmed back.

A ctfgan generator (waveform in, waveform out, its STFT inside) runs through the same pipeline without
pre-emphasis, on windows of 4 s cross-faded over ``overlap`` of the window (default 1/8: 0.5 s), so its cost
is 1.14x that of one pass, with one intra-op thread (its GRUs step frame by frame; a second thread only
adds waiting); :func:`load_enhancer` picks the settings from the checkpoint's family.

Peak guard: the enhanced float signal goes to a temporary float32 WAV while its peak is tracked; a second
streaming pass copies it to the output, scaled by ``0.999 / peak`` only when the peak exceeds 0.999 (one
gain for the whole file: no clipping, no pumping). The output is written atomically and never replaces
an input.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch import Tensor, nn

from audiogan.audio import AudioWriter, info, iter_blocks
from audiogan.dsp import (  # noqa: F401 - crossfade_window/overlap_samples re-exported for callers
    Deemphasis,
    OverlapAdd,
    Preemphasis,
    StreamResampler,
    crossfade_window,
    overlap_samples,
)
from audiogan.errors import AudioGanError
from audiogan.inference.loading import load_ctfgan_model, load_segan_model, peek_checkpoint
from audiogan.inference.outputs import WRITABLE, Job, plan_outputs  # noqa: F401 - re-exported

SAMPLE_RATE = 16000
PEAK_LIMIT = 0.999
ENHANCER_FAMILIES = ("segan", "ctfgan")
# cross-fade between windows as a fraction of the window when the caller gives none: SEGAN's is the CLI's
# measured 0.25; ctfgan's windows are 4 s long, so 1/8 (0.5 s) hides each window's cold start
DEFAULT_OVERLAPS = {"segan": 0.25, "ctfgan": 0.125}


class Enhancer:
    """A generator wrapped for inference: windows, batching, z sampling, optional bf16 autocast.

    ``generator(x: Tensor[N, 1, window], z) -> Tensor[N, 1, window]``; any callable with a ``sample_z`` method
    or none (z is then not passed) works, which lets tests use an identity model.
    """

    def __init__(
        self,
        generator: nn.Module | Callable,
        *,
        window: int = 16384,
        batch_size: int = 8,
        device: str | torch.device = "cpu",
        bf16: bool = False,
        preemph: float = 0.95,
        seed: int = 0,
        sample_rate: int = SAMPLE_RATE,
        overlap: float = 0.5,
        threads: int | None = None,
    ):
        self.generator, self.window, self.batch_size = generator, int(window), int(batch_size)
        self.threads = threads  # intra-op threads during generator calls (None: torch's setting)
        self.overlap = overlap_samples(self.window, overlap)
        self.device, self.bf16, self.preemph, self.seed = torch.device(device), bf16, float(preemph), seed
        self.sample_rate = int(sample_rate)
        self.frames_run = 0
        if isinstance(generator, nn.Module):
            generator.to(self.device).eval()

    def _model(self, rng: torch.Generator) -> Callable[[Tensor], Tensor]:
        sample_z = getattr(self.generator, "sample_z", None)
        hop = getattr(self.generator, "hop", 1)

        @torch.inference_mode()
        def run(x: Tensor) -> np.ndarray:
            self.frames_run += x.shape[0]
            x = x.to(self.device)
            z = sample_z(x.shape[0], x.shape[-1] // hop, rng, self.device) if sample_z else None
            ctx = torch.autocast(self.device.type, dtype=torch.bfloat16) if self.bf16 else _null()
            before = torch.get_num_threads()
            if self.threads:
                torch.set_num_threads(self.threads)
            try:
                with ctx:
                    y = self.generator(x, z) if sample_z else self.generator(x)
            finally:
                if self.threads:
                    torch.set_num_threads(before)
            return y.float().cpu().numpy()

        return run

    def stream(self, blocks: Iterable[np.ndarray], sample_rate: int, channels: int) -> Iterator[np.ndarray]:
        """Enhance a stream of ``ndarray[C, t]`` blocks at ``sample_rate``.

        Yields ``ndarray[C, t']`` blocks whose total length equals the input's.
        """
        rng = torch.Generator().manual_seed(self.seed)  # same z for the same file every run
        down = StreamResampler(sample_rate, self.sample_rate, channels)
        up = StreamResampler(self.sample_rate, sample_rate, channels)
        pre, de = Preemphasis(self.preemph, channels), Deemphasis(self.preemph, channels)
        ola = OverlapAdd(self._model(rng), self.window, self.batch_size, channels, self.overlap)
        n_in = n_out = 0
        for block in blocks:
            n_in += block.shape[1]
            y = up.push(de(ola.push(pre(down.push(block)))))
            n_out += y.shape[1]
            if y.shape[1]:
                yield y
        tail = ola.push(pre(down.flush()))
        tail = np.concatenate([tail, ola.flush()], axis=1)
        y = np.concatenate([up.push(de(tail)), up.flush()], axis=1)
        y = y[:, : max(0, n_in - n_out)]  # resampling there and back may add a sample or two
        if n_out + y.shape[1] < n_in:
            y = np.concatenate([y, np.zeros((channels, n_in - n_out - y.shape[1]), np.float32)], axis=1)
        if y.shape[1]:
            yield y

    def enhance(self, x: np.ndarray, sample_rate: int | None = None) -> np.ndarray:
        """Enhance an in-memory signal ``ndarray[C, T]`` (or ``[T]``); same shape out."""
        x = np.asarray(x, dtype=np.float32)
        squeeze = x.ndim == 1
        x2 = x[None] if squeeze else x
        step = 10 * (sample_rate or self.sample_rate)
        blocks = (x2[:, i : i + step] for i in range(0, x2.shape[1], step))
        parts = list(self.stream(blocks, sample_rate or self.sample_rate, x2.shape[0]))
        y = np.concatenate(parts, axis=1) if parts else np.zeros_like(x2)
        return y[0] if squeeze else y


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def load_generator(checkpoint: str | os.PathLike) -> tuple[nn.Module, dict, dict, Path]:
    """``(generator, extra, config, path)`` of a SEGAN checkpoint: the old tuple form, kept for existing
    callers; new code uses :func:`audiogan.inference.loading.load_segan_model`."""
    m = load_segan_model(checkpoint)
    return m.generator, m.extra, m.config, m.path


def bf16_is_fast(device: str | torch.device) -> bool:
    """Whether bf16 autocast pays off here: CUDA with bf16 support, or a CPU with AMX bf16 tiles.

    Measured (benchmarks/denoise_rtf.py): on AVX-512 CPUs without AMX bf16 is barely faster, so it stays off.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
        return bool(probe and probe())
    return False


def load_enhancer(
    checkpoint: str | os.PathLike,
    *,
    batch_size: int = 8,
    device: str = "cpu",
    bf16: bool = False,
    seed: int = 0,
    overlap: float | None = 0.5,
) -> Enhancer:
    """An :class:`Enhancer` rebuilt from a SEGAN or ctfgan checkpoint (file or experiment dir) alone.

    ``overlap=None`` takes the family's default (:data:`DEFAULT_OVERLAPS`).
    """
    family, _ = peek_checkpoint(checkpoint)
    if overlap is None:
        overlap = DEFAULT_OVERLAPS.get(family, 0.5)
    if family == "ctfgan":
        cm = load_ctfgan_model(checkpoint)
        # one intra-op thread: the GRUs step frame by frame, and two threads waiting on each other at every
        # step made the forward 11x slower on a busy 2-core machine (RTF 0.62 against 0.055)
        return Enhancer(cm.generator, window=cm.window, batch_size=batch_size, device=device, bf16=bf16,
                        preemph=0.0, seed=seed, sample_rate=cm.sample_rate, overlap=overlap,
                        threads=1 if torch.device(device).type == "cpu" else None)
    model = load_segan_model(checkpoint)  # any other family: SEGAN's loader names the mismatch
    return Enhancer(
        model.generator,
        window=model.window,
        batch_size=batch_size,
        device=device,
        bf16=bf16,
        preemph=model.preemph,
        seed=seed,
        sample_rate=model.sample_rate,
        overlap=overlap,
    )


def _output_subtype(fmt: str, subtype: str, out: Path) -> str | None:
    """Keep the input's sample format when the output container supports it."""
    target = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}[out.suffix.lower()]
    if sf.check_format(target, subtype):
        return subtype
    return None


def denoise_file(
    enhancer: Enhancer,
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    block_seconds: float = 5.0,
    on_seconds: Callable[[float], None] | None = None,
) -> dict:
    """Enhance ``src`` into ``dst`` (atomic; ``dst`` must differ from ``src``). Returns a small summary."""
    src, dst = Path(src), Path(dst)
    meta = info(src)
    if dst.exists() and dst.resolve() == src.resolve():
        raise AudioGanError(f"{dst}: output would overwrite its input")
    if dst.is_dir():
        raise AudioGanError(f"{dst}: is a folder; give an output file name")
    block = max(1, int(block_seconds * meta.sample_rate))
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".float.wav", dir=dst.parent)
    except OSError as e:
        raise AudioGanError(f"{dst}: cannot write here ({e.strerror})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    peak = 0.0
    frames = 0
    try:
        # pass 1: enhanced float samples to a temp file while tracking the peak
        with sf.SoundFile(
            str(tmp), "w", samplerate=meta.sample_rate, channels=meta.channels, format="WAV", subtype="FLOAT"
        ) as f:
            for y in enhancer.stream(
                _counting(iter_blocks(src, block), meta.sample_rate, on_seconds),
                meta.sample_rate,
                meta.channels,
            ):
                if not np.isfinite(y).all():
                    raise AudioGanError(f"{src}: the model produced NaN/Inf samples")
                peak = max(peak, float(np.abs(y).max()) if y.size else 0.0)
                frames += y.shape[1]
                f.write(y.T)
        # pass 2: copy with one gain for the whole file when the peak exceeds full scale
        gain = PEAK_LIMIT / peak if peak > PEAK_LIMIT else 1.0
        subtype = _output_subtype(meta.format, meta.subtype, dst)
        with (
            sf.SoundFile(str(tmp)) as f,
            AudioWriter(dst, meta.sample_rate, meta.channels, subtype=subtype) as w,
        ):
            while True:
                y = f.read(block, dtype="float32", always_2d=True)
                if not len(y):
                    break
                w.write(y.T * gain)
    except OSError as e:  # disk full, permissions, ...: one line, and the temp files are gone
        raise AudioGanError(f"{dst}: cannot write ({e.strerror or e})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return {
        "input": str(src),
        "output": str(dst),
        "seconds": frames / meta.sample_rate,
        "peak": peak,
        "gain": gain,
    }


def _counting(
    blocks: Iterator[np.ndarray], sr: int, cb: Callable[[float], None] | None
) -> Iterator[np.ndarray]:
    for b in blocks:
        if cb is not None:
            cb(b.shape[1] / sr)
        yield b


def denoise_files(
    enhancer: Enhancer,
    jobs: Sequence[Job],
    *,
    progress: bool = True,
    failures: list[tuple[Path, str]] | None = None,
) -> list[dict]:
    """Run :func:`denoise_file` over ``jobs`` with progress bars over files and audio seconds.

    A file that fails stops the run with an error saying how many outputs were written before it; with a
    ``failures`` list the run goes on and each failure is appended as ``(input, message)`` instead.
    """
    metas = [info(j.src) for j in jobs]  # check every input before writing anything
    total = sum(m.duration for m in metas)
    from tqdm import tqdm

    files_bar = tqdm(total=len(jobs), desc="files", unit="file", disable=not progress or None, position=0)
    sec_bar = tqdm(
        total=round(total, 2),
        desc="audio",
        unit="s",
        disable=not progress or None,
        position=1,
        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s [{elapsed}<{remaining}, {rate_fmt}]",
    )
    results = []
    try:
        for j in jobs:
            try:
                results.append(denoise_file(enhancer, j.src, j.dst, on_seconds=sec_bar.update))
            except AudioGanError as e:
                if failures is None and len(jobs) == 1:
                    raise
                if failures is None:
                    done = f"{len(results)} of {len(jobs)} file(s) were written before it"
                    raise AudioGanError(f"{e} ({done}; --keep-going enhances the rest)") from None
                failures.append((j.src, str(e)))
            files_bar.update(1)
    finally:
        sec_bar.close()
        files_bar.close()
    return results
