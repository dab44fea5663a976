#!/usr/bin/env python3
"""Peak memory of voice conversion against input length: streamed blocks vs one whole-file pass, in one run.

Each measurement is a fresh process (its peak RSS from ``wait4``) converting a synthetic voice-like input
(harmonics of a gliding F0 under a syllable envelope, 16 kHz) of the given length with the built-in
CycleGAN-VC2 converter: ``streamed`` is what ``audiogan convert`` does (20 s blocks, 1 s cross-fade),
``whole`` analyses and synthesises the file in one pass (what convert did before streaming).

    python3 benchmarks/convert_memory.py [--minutes 1 3 10] [--modes streamed whole]

Last line: one JSON object with the peak MB of every (mode, minutes) and, per mode, the ratio of the
longest input's peak to the shortest's (flat: about 1).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

DRIVER = """
import sys
from audiogan.inference.convert import VoiceConverter, convert_stream
from audiogan.pretrained import resolve_model
conv = VoiceConverter.from_checkpoint(resolve_model(None, "cyclegan_vc2"), "A2B")
convert_stream(conv, sys.argv[1], sys.argv[2], block_seconds=float(sys.argv[3]))
"""


def write_voice(path: Path, minutes: float, sr: int = 16000) -> None:
    """A voice-like test signal, written in 10 s pieces so the benchmark itself stays small."""
    rng = np.random.default_rng(0)
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=1, subtype="PCM_16") as f:
        phase = 0.0
        for piece in range(int(np.ceil(minutes * 6))):
            t = (np.arange(10 * sr) + piece * 10 * sr) / sr
            f0 = 200 + 40 * np.sin(2 * np.pi * 0.7 * t)
            ph = phase + 2 * np.pi * np.cumsum(f0) / sr
            phase = float(ph[-1])
            x = sum(0.25 / k * np.sin(k * ph) for k in range(1, 10))
            x = x * (0.2 + 0.8 * np.sin(2 * np.pi * 2.5 * t) ** 2) + 0.003 * rng.standard_normal(t.size)
            f.write(x.astype(np.float32))


def peak_mb(args: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, *args])
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"conversion failed: {args}")
    return usage.ru_maxrss / 1024, time.perf_counter() - t0  # ru_maxrss is KiB on Linux


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, nargs="+", default=[1, 3, 10])
    p.add_argument("--modes", nargs="+", choices=("streamed", "whole"), default=["streamed", "whole"])
    args = p.parse_args()
    results: dict[str, dict[str, float]] = {m: {} for m in args.modes}
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            src = Path(tmp) / f"in_{minutes:g}.wav"
            write_voice(src, minutes)
            for mode in args.modes:
                block = "20" if mode == "streamed" else "1e12"
                mb, secs = peak_mb([str(src), str(Path(tmp) / f"out_{mode}.wav"), block])
                results[mode][f"{minutes:g}"] = round(mb, 1)
                line = f"{mode:>8} {minutes:>5g} min: peak {mb:7.1f} MB ({secs:.0f} s)"
                print(line, file=sys.stderr, flush=True)
    longest, shortest = f"{max(args.minutes):g}", f"{min(args.minutes):g}"
    growth = {m: round(r[longest] / r[shortest], 2) for m, r in results.items()}
    print(json.dumps({"benchmark": "convert_memory", "peak_mb": results, "longest_over_shortest": growth}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
