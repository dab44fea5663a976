"""Output planning shared by `audiogan denoise` and `audiogan convert`: input files (folders expanded
recursively) and the output path of each, checked before any model loads or any file is written."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audiogan.audio import find_audio_files
from audiogan.errors import AudioGanError

WRITABLE = (".wav", ".flac", ".ogg")  # output containers; other inputs (.aiff, .au, ...) come out as WAV


@dataclass
class Job:
    src: Path
    dst: Path


def plan_outputs(
    inputs: Sequence[str | os.PathLike],
    outdir: str | os.PathLike | None = None,
    output: str | os.PathLike | None = None,
    *,
    keep_format: bool = True,
) -> list[Job]:
    """One :class:`Job` per input file.

    With ``outdir`` a file keeps its name and a folder's files keep their path relative to the folder; with
    ``output`` there must be exactly one input file. ``keep_format``: an output keeps its input's container
    when it is writable (else ``name.ext.wav``); without it every output is ``stem.wav`` (voice conversion
    writes WAV at the model's rate). An output that is an input, or two inputs with one output, are errors.
    """
    if (outdir is None) == (output is None):
        raise AudioGanError("give either -o/--outdir OUTDIR or --output FILE")
    if output is not None and Path(output).suffix.lower() not in WRITABLE:
        raise AudioGanError(f"{output}: unsupported output format (use {', '.join(WRITABLE)})")
    jobs: list[Job] = []
    for item in inputs:
        p = Path(item)
        for f in find_audio_files([p]):
            if output is not None:
                jobs.append(Job(f, Path(output)))
                continue
            rel = f.relative_to(p) if p.is_dir() else Path(f.name)
            if not keep_format:
                rel = rel.with_suffix(".wav")
            elif rel.suffix.lower() not in WRITABLE:  # e.g. .aiff/.au input: written as WAV
                rel = rel.with_name(rel.name + ".wav")
            jobs.append(Job(f, Path(outdir) / rel))
    if output is not None and len(jobs) != 1:
        raise AudioGanError(f"--output takes exactly one input file, got {len(jobs)}; use -o OUTDIR")
    sources = {j.src.resolve() for j in jobs}
    seen: dict[Path, Path] = {}
    for j in jobs:
        d = j.dst.resolve()
        if d in sources:
            raise AudioGanError(f"{j.dst}: output would overwrite an input; choose another output folder")
        if d in seen:
            raise AudioGanError(f"{seen[d]} and {j.src} would both be written to {j.dst}; process them "
                                "separately")
        seen[d] = j.src
    return jobs
