"""``<outdir>/status.json``: where a training stands, written with every checkpoint; read by
``audiogan train --status EXPDIR`` without loading a checkpoint or importing torch."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from audiogan.errors import CheckpointError
from audiogan.paths import write_text_atomic

STATUS_JSON = "status.json"


def write_status(outdir: str | os.PathLike, record: dict[str, Any]) -> None:
    write_text_atomic(Path(outdir) / STATUS_JSON, json.dumps(record, indent=1) + "\n")


def read_status(outdir: str | os.PathLike) -> dict[str, Any]:
    """The record of the newest checkpoint of ``outdir``; a folder without one is a CheckpointError."""
    path = Path(outdir) / STATUS_JSON
    if not Path(outdir).is_dir():
        raise CheckpointError(f"{outdir}: no such experiment dir")
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{outdir}: no training status yet (no checkpoint written)") from None
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path}: unreadable ({type(e).__name__})") from None


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def format_status(outdir: str | os.PathLike, s: dict[str, Any]) -> str:
    """A few ``key: value`` lines for people (``--json`` gives the record itself)."""
    usage = s.get("usage") or {}
    step, max_steps = int(s.get("step", 0)), int(s.get("max_steps", 0))
    lines = [f"experiment: {outdir} ({s.get('task', '?')})", f"step: {step} of {max_steps}"]
    best = s.get("best") or {}
    if best:
        lines.append(f"best dev {best['metric']}: {best['value']:.4g} at step {best['step']}")
    else:
        lines.append("best dev score: none yet")
    lines.append(f"CPU time so far: {_hours(usage.get('cpu_seconds', 0.0))} "
                 f"(wall {_hours(usage.get('wall_seconds', 0.0))}, {usage.get('runs', 0)} run(s))")
    rate = s.get("sec_per_step")
    if rate:
        lines.append(f"time per step: {rate:.3g} s (last run)")
        lines.append(f"estimated time left: {_hours(rate * max(max_steps - step, 0))}")
    if step >= max_steps:
        lines.append("state: finished")
    elif s.get("stopped_on_budget"):
        lines.append("state: stopped on its time budget; re-run the same train command to resume")
    else:
        lines.append("state: stopped or running (re-run the same train command to resume)")
    return "\n".join(lines)
