"""SEGAN paired windows: pairing by utterance id, windowing, resampling, cache reuse and invalidation."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.data.segan import PairedWindows, build_cache, deemphasis, preemphasis, read_pairs, window_starts
from audiogan.errors import AudioError, DataDirError


def _write_dir(root: Path, lengths: dict[str, int], sr: int = 16000, order=None) -> Path:
    """noisy = 0.5 * clean + 0.1 for every utterance, so a window's pairing can be checked."""
    rng = np.random.default_rng(0)
    d = root / "data"
    d.mkdir(parents=True, exist_ok=True)
    (root / "wav").mkdir(exist_ok=True)
    utts = list(lengths)
    for u in utts:
        clean = (0.3 * rng.standard_normal(lengths[u])).clip(-0.9, 0.9)
        sf.write(root / "wav" / f"{u}_c.wav", clean, sr, subtype="FLOAT")
        sf.write(root / "wav" / f"{u}_n.wav", 0.5 * clean + 0.1, sr, subtype="FLOAT")
    with open(d / "wav.scp", "w") as f:
        for u in utts:
            f.write(f"{u} {root / 'wav' / f'{u}_n.wav'}\n")
    with open(d / "spk1.scp", "w") as f:
        for u in order or reversed(utts):  # a different order: pairing must use the ids
            f.write(f"{u} {root / 'wav' / f'{u}_c.wav'}\n")
    return d


def test_pairs_matched_by_id_and_windows_cover_everything(tmp_path):
    d = _write_dir(tmp_path, {"a": 3000, "b": 1000, "c": 2500})
    assert [p.utt for p in read_pairs(d)] == ["a", "b", "c"]
    cache = build_cache(d, tmp_path / "cache", window=1024, stride=0.5, preemph=0.0, progress=False)
    ds = PairedWindows(cache)
    # a: 3000 -> starts 0,512,1024,1536 + end-aligned 1976; b: padded to one window; c: 0..1024 + 1476
    assert len(ds) == 5 + 1 + 4
    for i in range(len(ds)):
        w = ds[(i, 123)].numpy()
        assert w.shape == (2, 1024)
        real = w[1] != 0  # b's zero padding is zero in both rows
        np.testing.assert_allclose(w[0][real], 0.5 * w[1][real] + 0.1, atol=1e-6)


def test_window_starts():
    assert window_starts(2048, 1024, 512) == [0, 512, 1024]
    assert window_starts(2100, 1024, 512) == [0, 512, 1024, 1076]
    assert window_starts(1024, 1024, 512) == [0]


def test_preemphasis_round_trip():
    x = np.random.default_rng(1).standard_normal((2, 500)).astype(np.float32)
    y = preemphasis(x, 0.95)
    np.testing.assert_allclose(y[:, 1:], x[:, 1:] - 0.95 * x[:, :-1], atol=1e-6)
    np.testing.assert_allclose(deemphasis(y, 0.95), x, atol=1e-4)


def test_resampled_to_16k(tmp_path):
    d = _write_dir(tmp_path, {"a": 8000}, sr=8000)
    ds = PairedWindows(build_cache(d, tmp_path / "cache", window=4096, preemph=0.95, progress=False))
    assert ds.meta["lengths"] == [16000]
    assert ds.meta["sample_rate"] == 16000


def test_cache_reused_and_invalidated(tmp_path):
    d = _write_dir(tmp_path, {"a": 3000, "b": 2000})
    kw = dict(window=1024, progress=False)
    first = build_cache(d, tmp_path / "cache", **kw)
    stamp = (first / "signals.npy").stat().st_mtime_ns
    assert build_cache(d, tmp_path / "cache", **kw) == first
    assert (first / "signals.npy").stat().st_mtime_ns == stamp  # reused, not rebuilt
    # a parameter change, an edited scp and a touched audio file each give a new cache
    assert build_cache(d, tmp_path / "cache", window=1024, preemph=0.9, progress=False) != first
    wav = tmp_path / "wav" / "a_n.wav"
    os.utime(wav, ns=(stamp + 10**9, stamp + 10**9))
    second = build_cache(d, tmp_path / "cache", **kw)
    assert second != first
    (d / "wav.scp").write_text((d / "wav.scp").read_text().splitlines()[0] + "\n")
    (d / "spk1.scp").write_text(
        "".join(ln + "\n" for ln in (d / "spk1.scp").read_text().splitlines() if ln.startswith("a "))
    )
    third = build_cache(d, tmp_path / "cache", **kw)
    assert third not in (first, second) and len(PairedWindows(third)) == 5


def test_bad_data_dirs(tmp_path):
    d = _write_dir(tmp_path, {"a": 3000, "b": 2000})
    (d / "spk1.scp").write_text(f"a {tmp_path / 'wav' / 'a_c.wav'}\n")
    with pytest.raises(DataDirError, match="'b' has no entry in spk1.scp"):
        read_pairs(d)
    (d / "spk1.scp").write_text(f"a {tmp_path / 'wav' / 'a_c.wav'}\nb {tmp_path / 'nope.wav'}\n")
    with pytest.raises(AudioError, match="nope.wav"):
        build_cache(d, tmp_path / "cache", window=1024, progress=False)
    # a clean file of another utterance (wrong length) is caught
    sf.write(tmp_path / "wav" / "short.wav", np.zeros(500), 16000)
    (d / "spk1.scp").write_text(f"a {tmp_path / 'wav' / 'short.wav'}\nb {tmp_path / 'wav' / 'b_c.wav'}\n")
    with pytest.raises(DataDirError, match="lengths differ"):
        build_cache(d, tmp_path / "cache", window=1024, progress=False)
    with pytest.raises(DataDirError, match="no such data dir"):
        read_pairs(tmp_path / "missing")
    assert not list((tmp_path / "cache").glob(".segan-*"))  # failed builds leave no temp folders
