"""Benchmark: WORLD feature extraction (audiogan.features.world.extract_many) on the shared VCC2016 set.

Extracts f0 / coded_sp / coded_ap for the 120 VCC2016 utterances (SF1, SM1, TF1, TM1 x 30) once serially and
once with ``--jobs`` worker processes, checks that both give bit-identical features, and prints a short report
followed by one JSON object as the last line of stdout. The parallel time includes starting the workers.

    python3 benchmarks/world_features.py [--jobs 2] [--f0-method harvest|dio] [--limit N]

The data is found through AUDIOGAN_DATA (default: <project root>/../shared/data); without its manifest.tsv the
benchmark prints why and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def _data_root() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return Path(os.environ.get("AUDIOGAN_DATA", default))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2, help="worker processes for the parallel run (default 2)")
    p.add_argument("--f0-method", choices=("harvest", "dio"), default="harvest")
    p.add_argument("--limit", type=int, default=0, help="use only the first N utterances (0: all)")
    args = p.parse_args(argv)

    root = _data_root()
    manifest = root / "manifest.tsv"
    if not manifest.is_file():
        print(f"skipped: {manifest} not found (set AUDIOGAN_DATA to the shared data folder)")
        print(json.dumps({"benchmark": "world_features", "skipped": True, "reason": f"{manifest} not found"}))
        return 0

    import audiogan.audio  # noqa: F401  (torch etc.: import before timing, the workers' start-up is timed)
    from audiogan.features.world import WorldConfig, extract_many

    with open(manifest, newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["set"] == "vcc2016"]
    rows.sort(key=lambda r: r["path"])
    if args.limit > 0:
        rows = rows[: args.limit]
    items = {f"{r['speaker']}_{Path(r['path']).stem}": root / r["path"] for r in rows}
    seconds = sum(int(r["num_samples"]) / int(r["sample_rate"]) for r in rows)
    cfg = WorldConfig(f0_method=args.f0_method)
    print(
        f"{len(items)} utterances, {seconds:.1f} s of audio, f0_method={cfg.f0_method}, cpus={os.cpu_count()}"
    )

    t0 = time.perf_counter()
    serial = extract_many(items, cfg, jobs=1)
    t_serial = time.perf_counter() - t0
    print(f"serial:  {t_serial:7.2f} s")

    t0 = time.perf_counter()
    parallel = extract_many(items, cfg, jobs=args.jobs)
    t_parallel = time.perf_counter() - t0
    print(f"{args.jobs} jobs:  {t_parallel:7.2f} s (including worker start-up)")

    identical = list(serial) == list(parallel) and all(
        np.array_equal(serial[u][k], parallel[u][k]) for u in serial for k in serial[u]
    )
    print(f"features identical: {identical}")
    frames = sum(f["f0"].shape[0] for f in serial.values())
    result = {
        "benchmark": "world_features",
        "n_utts": len(items),
        "audio_s": round(seconds, 2),
        "frames": frames,
        "f0_method": cfg.f0_method,
        "cpu_count": os.cpu_count(),
        "jobs": args.jobs,
        "serial_s": round(t_serial, 3),
        "parallel_s": round(t_parallel, 3),
        "speedup": round(t_serial / t_parallel, 3),
        "serial_rtf": round(t_serial / seconds, 4),
        "identical": identical,
    }
    print(json.dumps(result))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
