#!/usr/bin/env python3
"""End-to-end speed and memory of `audiogan denoise` with a SEGAN+-size generator (random weights).

Measures, on a synthetic 16 kHz file (tones + noise):

* ``e2e_s``: wall time of the whole CLI (``audiogan denoise``: start-up, checkpoint loading, reading,
  resampling, pre-/de-emphasis, windows, overlap-add, peak guard, writing) on a ``--seconds`` file;
* ``bare_s``: the bare generator forward over the same number of windows at the same batch size, in a
  fresh process like the CLI's (model built untimed); e2e and bare runs alternate ``--repeats`` times and
  the best of each counts;
* ``ratio`` = e2e_s / bare_s (target <= 1.3) and ``ratio_no_startup`` (the CLI minus its start-up: import
  and checkpoint load, timed as a run on a 0.1 s file);
* ``rss_mb``: peak RSS of the CLI process on the ``--seconds`` file and on a ``--long-minutes`` file
  (each CLI run in its own child; ``resource.getrusage(RUSAGE_CHILDREN)`` of a wrapper process). The long
  file uses the SEGAN+ model only with ``--full`` (about 7 min of compute per 20 min of audio on 2 cores);
  otherwise a narrow model with the same window and strides shows that memory is flat in file length;
* ``bf16_speedup``: bare forward fp32 time / bf16-autocast time on one batch (CPU);
* ``reference_s`` and ``speedup_vs_reference``: the whole-process time of the reference implementation's
  way of denoising (segan_pytorch's clean.py: non-overlapping windows one at a time, fp32; same model
  and file, written by this script) against the CLI with its defaults (bf16 where AMX/CUDA, 25 %
  cross-fade, batch ``--batch-size``) - target >= 3; the same ratio for ``--fp32`` and for
  ``--overlap 0.5``, and ``bf16_snr_db``: the SNR of the default output against the ``--fp32`` one
  (target >= 30 dB).

The compact model (issue 19) beside the SEGAN default of today, in the same run (``compact`` in the JSON):
for a ctfgan generator (the ``MODEL_DEFAULTS`` size with random weights, or ``--ctfgan CKPT``) and the
default built-in SEGAN (``segan_default``): ``startup_s`` (the CLI on a 0.1 s file: imports + model load),
``e2e_s`` (the CLI on the ``--seconds`` file), ``rtf_forward`` (the bare generator over the windows the CLI
runs, in a fresh process, / seconds; target <= 0.02 for ctfgan), and peak RSS on the ``--seconds`` and the
``--long-minutes`` file (flat in length). Targets: ctfgan start-up <= 1.5 s, forward RTF <= 0.02.
``import_torch_s`` (a bare ``python -c "import torch"``, alternated with the start-up runs) is the floor of
any start-up here, and ``startup_over_import_torch_s`` what audiogan adds to it: on a loaded machine the
absolute start-up says more about the load than about audiogan.
``--compact-only`` runs just this part.

Prints one JSON object as its last line. ``--quick`` shortens everything (10 s and 2 min files).
Usage: python3 benchmarks/denoise_rtf.py [--quick] [--full] [--compact-only] [--ctfgan CKPT] [--batch-size 8]
       [--seconds 60]
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
import torch

from audiogan import checkpoint as ckpt
from audiogan.models.segan import SEGAN_PLUS_MODEL, build_generator
from audiogan.tasks.segan import SEGANTask

RATE = 16000


def make_checkpoint(path: Path, model: dict) -> Path:
    """A loadable SEGAN checkpoint with random weights (only the generator is stored)."""
    cfg = SEGANTask.default_config()
    cfg["model"] = dict(model)
    cfg["task"] = "segan"
    torch.manual_seed(0)
    nets = SEGANTask.build_networks(cfg)
    state = {"format": ckpt.FORMAT, "version": "bench", "task": "segan", "step": 0, "config": cfg,
             "networks": {k: v.state_dict() for k, v in nets.items()}, "ema": {},
             "extra": {"window": model["window"], "preemph": 0.95, "sample_rate": RATE}}
    return ckpt.save_atomic(state, path)


def make_audio(path: Path, seconds: float) -> Path:
    """Write a synthetic noisy file block by block (a 20-minute file never sits in memory here either)."""
    rng = np.random.default_rng(0)
    block = RATE * 10
    with sf.SoundFile(str(path), "w", samplerate=RATE, channels=1, subtype="PCM_16") as f:
        done = 0
        total = int(seconds * RATE)
        while done < total:
            n = min(block, total - done)
            t = (done + np.arange(n)) / RATE
            x = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
            f.write((x + 0.05 * rng.standard_normal(n)).astype(np.float32))
            done += n
    return path


_WRAPPER = """
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:]).returncode
wall = time.perf_counter() - t
print(rc, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_cli(model: Path, audio: Path, out: Path, batch: int, *extra: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `audiogan denoise` run in its own child process."""
    cmd = [sys.executable, "-m", "audiogan", "denoise", "-m", str(model), str(audio), "--output", str(out),
           "--batch-size", str(batch), "--device", "cpu", "--quiet", *extra]
    res = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True)
    rc, wall, rss_kb = res.stdout.strip().splitlines()[-1].split()
    if int(rc) != 0:
        raise SystemExit(f"denoise failed: {res.stderr[-2000:]}")
    return float(wall), int(rss_kb) / 1024


def n_windows(frames: int, window: int) -> int:
    """Windows the overlap-add runs for a file of ``frames`` samples at the CLI's default overlap."""
    from audiogan.cli.denoise import DEFAULT_OVERLAP

    overlap = int(round(window * DEFAULT_OVERLAP))
    span = overlap + frames + overlap - window
    return max(0, -(-span // (window - overlap))) + 1


def bare_forward(model: dict, windows: int, batch: int, bf16: bool = False) -> float:
    g = build_generator(model).eval()
    w = model["window"]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 1, w, generator=gen)
    z = g.sample_z(batch, w // g.hop, gen)
    with torch.inference_mode():
        g(x[:1], z[:1])  # warm-up
        t = time.perf_counter()
        left = windows
        while left > 0:
            n = min(batch, left)
            if bf16:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    g(x[:n], z[:n])
            else:
                g(x[:n], z[:n])
            left -= n
        return time.perf_counter() - t


def bare_in_child(windows: int, batch: int) -> float:
    """:func:`bare_forward` of the SEGAN+ generator in a fresh process, like the CLI runs."""
    code = ("import sys; sys.path.insert(0, sys.argv[3]); "
            "from denoise_rtf import bare_forward, SEGAN_PLUS_MODEL; "
            "print(bare_forward(dict(SEGAN_PLUS_MODEL), int(sys.argv[1]), int(sys.argv[2])))")
    out = subprocess.run([sys.executable, "-c", code, str(windows), str(batch), str(Path(__file__).parent)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


_REFERENCE = """
import sys, time
t = time.perf_counter()
import numpy as np, soundfile as sf, torch
from audiogan.inference.loading import load_segan_model
m = load_segan_model(sys.argv[1])
g = m.generator.eval()
w, c = m.window, m.preemph
x, sr = sf.read(sys.argv[2], dtype="float32")
x = np.concatenate([x[:1], x[1:] - c * x[:-1]])  # pre-emphasis
n = -(-len(x) // w) * w
x = np.pad(x, (0, n - len(x)))
out = []
with torch.no_grad():  # segan_pytorch clean.py: non-overlapping windows, one per forward, fp32
    for i in range(0, n, w):
        seg = torch.from_numpy(x[i:i + w]).view(1, 1, w)
        out.append(g(seg, g.sample_z(1, w // g.hop)).view(-1).numpy())
y = np.concatenate(out)[: len(x)].astype(np.float64)
import torchaudio.functional as AF
y = AF.lfilter(torch.from_numpy(y), torch.tensor([1.0, -c], dtype=torch.float64),
               torch.tensor([1.0, 0.0], dtype=torch.float64), clamp=False).numpy()
sf.write(sys.argv[3], y.astype(np.float32), sr)
print(time.perf_counter() - t)
"""


def reference_way(model: Path, audio: Path, out: Path) -> float:
    """Whole-process seconds of the reference way of denoising (see the module docstring)."""
    res = subprocess.run([sys.executable, "-c", _REFERENCE, str(model), str(audio), str(out)],
                         capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"reference way failed: {res.stderr[-2000:]}")
    return float(res.stdout.strip().splitlines()[-1])


def make_ctfgan_checkpoint(path: Path) -> Path:
    """A loadable ctfgan checkpoint of the default size with random weights (generator only)."""
    from audiogan.models.registry import build
    from audiogan.tasks.ctfgan import CTFGANTask

    cfg = CTFGANTask.default_config()
    torch.manual_seed(0)
    g = build("ctfgan", cfg)["generator"]
    state = {"format": ckpt.FORMAT, "version": "bench", "task": "ctfgan", "step": 0, "config": cfg,
             "networks": {"generator": g.state_dict()}, "ema": {},
             "extra": {"sample_rate": RATE, "n_fft": 512, "hop": 256, "window": 4 * RATE}}
    return ckpt.save_atomic(state, path)


_BARE_ENHANCER = """
import sys, time, torch
from audiogan.inference.denoise import load_enhancer
enh = load_enhancer(sys.argv[1], batch_size=int(sys.argv[3]), overlap=None)
windows, batch, w = int(sys.argv[2]), int(sys.argv[3]), enh.window
run = enh._model(torch.Generator().manual_seed(0))
x = torch.randn(batch, 1, w, generator=torch.Generator().manual_seed(0))
run(x[:1])  # warm-up
t = time.perf_counter()
left = windows
while left > 0:
    n = min(batch, left)
    run(x[:n])
    left -= n
print(time.perf_counter() - t, w, enh.overlap)
"""


def bare_enhancer(model: Path, seconds: float, batch: int) -> tuple[float, int]:
    """(seconds, windows) of the bare generator calls the CLI makes on a ``seconds`` file (its defaults:
    window, overlap, bf16 off), in a fresh process."""
    def once(windows: int) -> list[str]:
        res = subprocess.run([sys.executable, "-c", _BARE_ENHANCER, str(model), str(windows), str(batch)],
                             capture_output=True, text=True)
        if res.returncode:
            raise SystemExit(f"bare forward failed: {res.stderr[-2000:]}")
        return res.stdout.split()

    _, w, overlap = once(1)
    w, overlap = int(w), int(overlap)
    span = overlap + int(seconds * RATE) + overlap - w
    windows = max(0, -(-span // (w - overlap))) + 1
    return float(once(windows)[0]), windows


def time_import_torch() -> float:
    """Wall seconds of a fresh ``python -c "import torch"``: what no torch program can start under."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t


def compact_vs_default(tmp: Path, args: argparse.Namespace, audio: Path, tiny: Path, long_audio: Path,
                       seconds: float, long_seconds: float) -> dict:
    """The ctfgan model and the default built-in SEGAN, each: start-up, whole-process time, forward RTF,
    peak memory on a short and a long file (see the module docstring)."""
    from audiogan.pretrained import resolve_model

    models = {"ctfgan": Path(args.ctfgan) if args.ctfgan else make_ctfgan_checkpoint(tmp / "ctfgan.pt"),
              "segan_default": Path(resolve_model(None, "segan"))}
    out: dict = {}
    torch_import = []
    for name, model in models.items():
        print(f"{name}: start-up, {seconds:.0f} s file, bare forward, long file ...", file=sys.stderr)
        startups = []
        for _ in range(max(1, args.repeats)):  # alternated with a bare `import torch`, the floor here
            torch_import.append(time_import_torch())
            startups.append(run_cli(model, tiny, tmp / f"{name}_tiny.wav", args.batch_size)[0])
        startup = min(startups)
        runs = [run_cli(model, audio, tmp / f"{name}.wav", args.batch_size)
                for _ in range(max(1, args.repeats))]
        bare, windows = bare_enhancer(model, seconds, args.batch_size)
        long_wall, rss_long = run_cli(model, long_audio, tmp / f"{name}_long.wav", args.batch_size)
        out[name] = {"startup_s": round(startup, 3), "e2e_s": round(min(r[0] for r in runs), 3),
                     "rtf_e2e": round(min(r[0] for r in runs) / seconds, 4), "windows": windows,
                     "forward_s": round(bare, 3), "rtf_forward": round(bare / seconds, 4),
                     "rss_mb": round(max(r[1] for r in runs), 1), "rss_mb_long": round(rss_long, 1),
                     "long_rtf": round(long_wall / long_seconds, 4)}
    c = out["ctfgan"]
    out["import_torch_s"] = round(min(torch_import), 3)
    out["startup_over_import_torch_s"] = round(c["startup_s"] - min(torch_import), 3)
    out["e2e_speedup_vs_segan_default"] = round(out["segan_default"]["e2e_s"] / c["e2e_s"], 3)
    out["target_startup_ok"] = c["startup_s"] <= 1.5
    out["target_rtf_forward_ok"] = c["rtf_forward"] <= 0.02
    out["target_rss_flat_ok"] = c["rss_mb_long"] <= 1.1 * c["rss_mb"] + 20
    return out


def snr_db(ref: Path, est: Path) -> float:
    a, b = sf.read(ref, dtype="float64")[0], sf.read(est, dtype="float64")[0]
    n = min(len(a), len(b))
    return float(10 * np.log10(np.sum(a[:n] ** 2) / max(np.sum((a[:n] - b[:n]) ** 2), 1e-20)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 s and 2 min files")
    ap.add_argument("--full", action="store_true", help="use the SEGAN+ model for the long file too (slow)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--long-minutes", type=float, default=20.0)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2, help="timed runs of each (best counts)")
    ap.add_argument("--compact-only", action="store_true", help="only the ctfgan vs SEGAN-default part")
    ap.add_argument("--ctfgan", metavar="CKPT", help="a ctfgan checkpoint (default: random weights)")
    args = ap.parse_args()
    seconds = 10.0 if args.quick else args.seconds
    long_minutes = 2.0 if args.quick else args.long_minutes
    plus = dict(SEGAN_PLUS_MODEL)
    narrow = dict(SEGAN_PLUS_MODEL, g_fmaps=[8, 16, 16, 32, 32], d_fmaps=[8, 8, 8, 8, 8], z_dim=8, d_fc=[8])
    result: dict = {"threads": torch.get_num_threads(), "batch_size": args.batch_size, "seconds": seconds}
    with tempfile.TemporaryDirectory(prefix="denoise_rtf.") as tmp:
        tmp = Path(tmp)
        plus_ckpt = make_checkpoint(tmp / "segan_plus.pt", plus)
        audio = make_audio(tmp / "in.wav", seconds)
        tiny_audio = make_audio(tmp / "tiny.wav", 0.1)
        long_audio = make_audio(tmp / "long.wav", long_minutes * 60)
        result["compact"] = compact_vs_default(tmp, args, audio, tiny_audio, long_audio, seconds,
                                               long_minutes * 60)
        if args.compact_only:
            result["cpu_count"] = os.cpu_count()
            print(json.dumps(result))
            return 0
        print(f"files ready; SEGAN+ CLI on {seconds:.0f} s ...", file=sys.stderr)
        startup, _ = run_cli(plus_ckpt, tiny_audio, tmp / "tiny_out.wav", args.batch_size)
        windows = n_windows(int(seconds * RATE), plus["window"])
        e2e_runs, bare_runs, rss = [], [], 0.0
        for _ in range(max(1, args.repeats)):  # interleaved, so a load change on the machine hits both
            wall, peak = run_cli(plus_ckpt, audio, tmp / "out.wav", args.batch_size)
            e2e_runs.append(wall)
            rss = max(rss, peak)
            print(f"bare forward over {windows} windows ...", file=sys.stderr)
            bare_runs.append(bare_in_child(windows, args.batch_size))
        e2e, bare = min(e2e_runs), min(bare_runs)
        print("reference way, --fp32 and --overlap 0.25 ...", file=sys.stderr)
        ref_runs, fp32_runs, short_runs = [], [], []
        for _ in range(max(1, args.repeats)):
            ref_runs.append(reference_way(plus_ckpt, audio, tmp / "ref.wav"))
            fp32_runs.append(run_cli(plus_ckpt, audio, tmp / "out_fp32.wav", args.batch_size, "--fp32")[0])
            short_runs.append(run_cli(plus_ckpt, audio, tmp / "out_short.wav", args.batch_size,
                                      "--overlap", "0.5")[0])
        bf16_snr = snr_db(tmp / "out_fp32.wav", tmp / "out.wav")
        long_model, long_name = (plus_ckpt, "segan_plus") if args.full else (
            make_checkpoint(tmp / "narrow.pt", narrow), "narrow")
        print(f"{long_name} CLI on {seconds:.0f} s and {long_minutes:.0f} min (memory)", file=sys.stderr)
        _, rss_short = run_cli(long_model, audio, tmp / "out2.wav", args.batch_size)
        long_wall, rss_long = run_cli(long_model, long_audio, tmp / "out_long.wav", args.batch_size)
        fp32 = bare_forward(plus, args.batch_size, args.batch_size)
        bf16 = bare_forward(plus, args.batch_size, args.batch_size, bf16=True)
    result.update({
        "windows": windows,
        "e2e_s": round(e2e, 3),
        "e2e_runs": [round(v, 3) for v in e2e_runs],
        "bare_runs": [round(v, 3) for v in bare_runs],
        "bare_s": round(bare, 3),
        "startup_s": round(startup, 3),
        "ratio": round(e2e / bare, 3),
        "ratio_no_startup": round((e2e - startup) / bare, 3),
        "rtf_e2e": round(e2e / seconds, 4),
        "rtf_bare": round(bare / seconds, 4),
        "rss_mb_segan_plus": round(rss, 1),
        "long_model": long_name,
        "long_minutes": long_minutes,
        f"rss_mb_{long_name}_short": round(rss_short, 1),
        f"rss_mb_{long_name}_long": round(rss_long, 1),
        "long_rtf": round(long_wall / (long_minutes * 60), 4),
        "bf16_speedup": round(fp32 / bf16, 3),
        "reference_s": round(min(ref_runs), 3),
        "speedup_vs_reference": round(min(ref_runs) / e2e, 3),
        "speedup_vs_reference_fp32": round(min(ref_runs) / min(fp32_runs), 3),
        "speedup_vs_reference_overlap_0.5": round(min(ref_runs) / min(short_runs), 3),
        "bf16_snr_db": round(bf16_snr, 2),
        "target_reference_ok": min(ref_runs) / e2e >= 3.0,
        "target_ratio_ok": e2e / bare <= 1.3,
        "target_rss_ok": max(rss, rss_long) < 1024,
        "cpu_count": os.cpu_count(),
    })
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
