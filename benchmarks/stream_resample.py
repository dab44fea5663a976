#!/usr/bin/env python3
"""Streaming resampling for `audiogan denoise`: the block-wise torchaudio resampler it used before against
soxr's ``ResampleStream`` (what ``StreamResampler`` wraps now), in one run: quality (SNR against the exact
analytic signal) and speed (ratio).

The test signal is a sum of sines below both Nyquist limits (up to 0.45 of the lower rate), so the exact
resampled signal is the same sum evaluated at the new rate; pushing it in blocks of ``--block`` samples
measures the streaming path exactly as the denoiser uses it. Edges (the first and last 0.05 s) are left out
of the SNR: both resamplers pad there differently.

    python3 benchmarks/stream_resample.py [--seconds 60] [--block 65536]

Last line: one JSON object per rate pair with ``snr_db`` and ``seconds`` of each method and
``speed_ratio`` (torchaudio / soxr time: > 1 means soxr is faster).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np
import soxr
import torch

PAIRS = [(44100, 16000), (16000, 44100), (48000, 16000), (16000, 48000), (8000, 16000), (22050, 16000)]


def sines(sr: int, n: int, freqs: np.ndarray, phases: np.ndarray) -> np.ndarray:
    t = np.arange(n) / sr
    return (np.sin(2 * np.pi * freqs[:, None] * t[None] + phases[:, None]).sum(0) / len(freqs)).astype(
        np.float64
    )


def stream(make, x: np.ndarray, block: int) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    r, out = make(), []
    for i in range(0, len(x), block):
        out.append(r.push(x[i : i + block]))
    out.append(r.flush())
    return np.concatenate(out), time.perf_counter() - t0


class TorchaudioBlockwise:
    """The resampler `audiogan denoise` used before soxr, written out: torchaudio's sinc kernel on
    overlapping segments, the same samples as resampling the whole signal with torchaudio.

    Uses torchaudio's sinc kernel on overlapping segments: each segment starts on a multiple of the
    reduced input period and carries ``context`` samples on both sides, so every output sample sees
    exactly the input it would see in a whole-file ``torchaudio.functional.resample``.
    ``push(x: ndarray[C, t]) -> ndarray[C, t']``, ``flush()`` returns the tail; the total output length
    is ``ceil(n * new / orig)``.
    """

    def __init__(self, orig_sr: int, new_sr: int, channels: int = 1):
        self.channels = int(channels)
        self.orig_sr, self.new_sr = int(orig_sr), int(new_sr)
        self.identity = self.orig_sr == self.new_sr
        g = math.gcd(self.orig_sr, self.new_sr)
        self.orig, self.new = self.orig_sr // g, self.new_sr // g
        if not self.identity:
            import torchaudio.transforms as T

            self.rs = T.Resample(self.orig_sr, self.new_sr)
            # output frame k reads input [k*orig - width, k*orig + width + orig): context covers both sides
            self.context = self.orig * (math.ceil(self.rs.width / self.orig) + 1)
        self.buf: np.ndarray | None = None
        self.buf_start = 0  # global input index of buf[:, 0] (a multiple of self.orig)
        self.done = 0  # global input index up to which output has been emitted (a multiple of self.orig)
        self.total = 0  # input samples pushed

    def _run(self, seg: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.rs(torch.from_numpy(np.ascontiguousarray(seg))).numpy()

    def push(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if self.identity:
            return x
        self.total += x.shape[1]
        self.buf = x if self.buf is None else np.concatenate([self.buf, x], axis=1)
        end = self.buf_start + self.buf.shape[1]
        stop = (end - self.context) // self.orig * self.orig
        if stop <= self.done:
            return np.zeros((x.shape[0], 0), np.float32)
        out = self._segment(stop, end_of_input=False)
        keep_from = max(0, self.done - self.context)  # aligned: done and context are multiples of orig
        self.buf = self.buf[:, keep_from - self.buf_start :]
        self.buf_start = keep_from
        return out

    def _segment(self, stop: int, end_of_input: bool) -> np.ndarray:
        s = max(0, self.done - self.context)
        e = self.buf_start + self.buf.shape[1] if end_of_input else stop + self.context
        y = self._run(self.buf[:, s - self.buf_start : e - self.buf_start])
        first = (self.done - s) // self.orig * self.new
        if end_of_input:
            last = -(-self.total * self.new // self.orig) - s // self.orig * self.new
        else:
            last = first + (stop - self.done) // self.orig * self.new
        self.done = stop
        return y[:, first:last]

    def flush(self) -> np.ndarray:
        if self.identity or self.buf is None:
            return np.zeros((self.channels, 0), np.float32)
        out = self._segment(self.buf_start + self.buf.shape[1], end_of_input=True)
        self.buf = self.buf[:, :0]
        return out



class Ours:
    def __init__(self, a: int, b: int):
        self.r = TorchaudioBlockwise(a, b, channels=1)

    def push(self, x: np.ndarray) -> np.ndarray:
        return self.r.push(x[None].astype(np.float32))[0]

    def flush(self) -> np.ndarray:
        return self.r.flush()[0]


class Soxr:
    def __init__(self, a: int, b: int, quality: str):
        self.r = soxr.ResampleStream(a, b, 1, dtype="float32", quality=quality)

    def push(self, x: np.ndarray) -> np.ndarray:
        return self.r.resample_chunk(x.astype(np.float32), last=False)

    def flush(self) -> np.ndarray:
        return self.r.resample_chunk(np.zeros(0, np.float32), last=True)


def snr(y: np.ndarray, ref: np.ndarray, edge: int) -> float:
    n = min(len(y), len(ref))
    e = y[edge : n - edge] - ref[edge : n - edge]
    return float(10 * np.log10(np.sum(ref[edge : n - edge] ** 2) / max(np.sum(e**2), 1e-30)))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--block", type=int, default=65536)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    results = []
    for a, b in PAIRS:
        freqs = rng.uniform(50, 0.45 * min(a, b), 24)
        phases = rng.uniform(0, 2 * np.pi, 24)
        n = int(args.seconds * a)
        x = sines(a, n, freqs, phases)
        ref = sines(b, int(np.ceil(n * b / a)), freqs, phases)
        row = {"from": a, "to": b}
        makers = {
            "ours": lambda a=a, b=b: Ours(a, b),
            "soxr_hq": lambda a=a, b=b: Soxr(a, b, "HQ"),
            "soxr_vhq": lambda a=a, b=b: Soxr(a, b, "VHQ"),
        }
        for name, make in makers.items():
            y, secs = stream(make, x, args.block)
            row[name] = {"snr_db": round(snr(y, ref, int(0.05 * b)), 1), "seconds": round(secs, 3),
                         "length": len(y), "expected_length": len(ref)}
        row["speed_ratio_hq"] = round(row["ours"]["seconds"] / row["soxr_hq"]["seconds"], 2)
        row["speed_ratio_vhq"] = round(row["ours"]["seconds"] / row["soxr_vhq"]["seconds"], 2)
        results.append(row)
        print(f"{a:>6} -> {b:>6}: SNR torchaudio {row['ours']['snr_db']:6.1f} dB, "
              f"soxr HQ {row['soxr_hq']['snr_db']:6.1f}, VHQ {row['soxr_vhq']['snr_db']:6.1f}; "
              f"soxr HQ is {row['speed_ratio_hq']:.1f}x as fast",
              file=sys.stderr, flush=True)
    print(json.dumps({"benchmark": "stream_resample", "seconds": args.seconds, "block": args.block,
                      "pairs": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
