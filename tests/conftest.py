"""Suite-wide settings and shared fixtures.

One intra-op thread per process: the suite runs many small models and subprocesses (recipe jobs, torchrun
ranks) on 2 cores; several processes each spinning up a thread pool oversubscribe the cores and run many
times slower.

Shared here (one copy each): ``data_root``, the real-speech corpus (``$AUDIOGAN_DATA``, else
``shared/data`` beside the checkout), and ``harmonic_tone``, the speech-like test tone of the DNSMOS tests.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # inherited by every subprocess the tests start

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]


def find_data_root() -> Path | None:
    """The real-speech corpus, ``$AUDIOGAN_DATA`` or else ``shared/data`` beside the checkout; None when the
    folder has no ``manifest.tsv`` (the corpus is not part of the repository)."""
    root = Path(os.environ.get("AUDIOGAN_DATA") or REPO.parent / "shared" / "data")
    return root if (root / "manifest.tsv").is_file() else None


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real-speech corpus folder (see :func:`find_data_root`); the test is skipped where there is none."""
    root = find_data_root()
    if root is None:
        where = os.environ.get("AUDIOGAN_DATA") or REPO.parent / "shared" / "data"
        pytest.skip(f"real speech data not found ({where}/manifest.tsv missing; set AUDIOGAN_DATA)")
    return root


def _harmonic_tone(sr: int = 16000, seconds: float = 4.6) -> np.ndarray:
    """150 Hz harmonic tone (1/k harmonics) with 3 Hz amplitude modulation, peak 0.3: ``ndarray[T]`` float32.

    4.6 s by default: DNSMOS doubles a clip until it holds one 9.01 s window, so this is scored in a single
    window (a 4 s clip would be doubled to 16 s and scored in 7)."""
    t = np.arange(int(sr * seconds)) / sr
    x = sum(np.sin(2 * np.pi * k * 150 * t) / k for k in range(1, 20))
    x = x * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


@pytest.fixture(scope="session")
def harmonic_tone():
    """``harmonic_tone(sr=16000, seconds=4.6) -> ndarray[T]``: see :func:`_harmonic_tone`."""
    return _harmonic_tone
