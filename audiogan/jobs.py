"""A process pool for per-file jobs (WORLD feature extraction, conversion scoring): results in input order,
identical to a serial run."""

from __future__ import annotations

import multiprocessing as mp
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any


def run_jobs(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    jobs: int = 1,
    progress: bool = False,
    desc: str = "",
    preload: Sequence[str] = (),
) -> list[Any]:
    """``[fn(item) for item in items]`` in ``jobs`` worker processes, results in input order.

    ``fn`` must be a picklable module-level function. Workers come from a forkserver (never a plain fork of a
    process that may hold torch/OpenMP threads), so results equal the serial ones. A progress bar goes to
    stderr with ``progress``. An AudioGanError raised in a worker is re-raised here unchanged. ``preload``
    names extra modules the forkserver imports once (slow imports the workers would otherwise each repeat).
    """
    from tqdm import tqdm

    jobs = max(1, int(jobs))
    bar = tqdm(total=len(items), desc=desc or None, disable=not progress, file=sys.stderr, unit="file")
    try:
        if jobs == 1 or len(items) <= 1:
            out = []
            for item in items:
                out.append(fn(item))
                bar.update(1)
            return out
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        if method == "forkserver":
            # Import the heavy modules once in the server instead of once per worker.
            ctx.set_forkserver_preload([fn.__module__, "audiogan.audio", *preload])
        results: list[Any] = [None] * len(items)
        with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=ctx) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            try:
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.update(1)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
        return results
    finally:
        bar.close()
