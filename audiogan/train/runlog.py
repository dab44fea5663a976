"""What a training run writes as it goes: ``train_log.jsonl``, TensorBoard scalars and progress lines."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def hms(seconds: float) -> str:
    """``1h05m`` or ``4m09s``."""
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class RunLog:
    """``<outdir>/train_log.jsonl`` (one JSON record per line, each with its ``step``) and, when asked for
    and installed, a TensorBoard writer under ``<outdir>/tensorboard``."""

    def __init__(self, outdir: Path, tensorboard: bool):
        self.path = Path(outdir) / "train_log.jsonl"
        self.writer = _tensorboard(Path(outdir)) if tensorboard else None

    def write(self, step: int, record: dict[str, Any], scalars: bool = True) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            f.write(json.dumps({"step": step, **record}) + "\n")
        if scalars and self.writer is not None:
            for k, v in record.items():
                if isinstance(v, int | float) and not isinstance(v, bool):
                    self.writer.add_scalar(k, v, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def trim_log(outdir: Path, step: int) -> None:
    """Drop train_log.jsonl records past ``step`` (a resumed run does those steps again and logs them)."""
    path = Path(outdir) / "train_log.jsonl"
    if not path.is_file():
        return
    lines = path.read_text().splitlines(keepends=True)
    kept = []
    for line in lines:
        try:
            if int(json.loads(line).get("step", 0)) > step:
                continue
        except (ValueError, AttributeError):
            pass  # keep what cannot be read; it is the user's file
        kept.append(line)
    if len(kept) != len(lines):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text("".join(kept))
        os.replace(tmp, path)


def progress_line(task: str, step: int, max_steps: int, logs: dict[str, float], sec_per_step: float) -> str:
    """The line printed per log interval when no live bar is shown (stdout: the run's log)."""
    losses = " ".join(f"{k}={v:.3g}" for k, v in list(logs.items())[:4])
    eta = sec_per_step * (max_steps - step)
    return f"audiogan: {task} step {step}/{max_steps} {losses} ({sec_per_step:.2f} s/step, {hms(eta)} left)"


def _tensorboard(outdir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is an optional extra
        return None
    return SummaryWriter(str(outdir / "tensorboard"))
