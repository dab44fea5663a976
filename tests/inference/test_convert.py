"""Streaming voice conversion: block plans, and block-wise output that matches whole-file conversion."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio

from audiogan.inference.convert import VoiceConverter, block_plan, convert_stream
from audiogan.pretrained import resolve_model


@pytest.mark.parametrize("total, block, overlap", [(100, 100, 10), (1000, 300, 50), (1001, 300, 50),
                                                   (5000, 2000, 500), (301, 300, 50)])
def test_block_plan_covers_the_input_with_equal_overlapping_blocks(total, block, overlap):
    spans = block_plan(total, block, overlap)
    assert spans[0][0] == 0 and spans[-1][1] == total
    for (_, b0), (a1, _) in zip(spans, spans[1:]):
        assert b0 - a1 == overlap  # each block overlaps the next by exactly `overlap`
    assert all(b - a <= block for a, b in spans)
    if total > block:
        assert all(b - a > overlap for a, b in spans)


def _log_mel(y: np.ndarray) -> torch.Tensor:
    mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=1024, hop_length=256, n_mels=64)
    return 10 * torch.log10(mel(torch.tensor(y, dtype=torch.float32)) + 1e-5)


def test_block_wise_conversion_matches_whole_file_conversion(tmp_path):
    conv = VoiceConverter.from_checkpoint(resolve_model(None, "cyclegan_vc2"), "A2B")
    t = np.arange(int(2.4 * 16000)) / 16000
    f0 = 220 + 20 * np.sin(2 * np.pi * 1.5 * t)
    x = sum(0.3 / k * np.sin(2 * np.pi * k * np.cumsum(f0) / 16000) for k in range(1, 8))
    x *= 0.5 + 0.5 * np.sin(2 * np.pi * 2 * t) ** 2  # syllable-like envelope
    sf.write(tmp_path / "in.wav", x.astype(np.float32), 16000)
    whole = convert_stream(conv, tmp_path / "in.wav", tmp_path / "whole.wav", block_seconds=100)
    blocks = convert_stream(conv, tmp_path / "in.wav", tmp_path / "blocks.wav", block_seconds=1.0,
                            overlap_seconds=0.25)
    a, b = sf.read(whole)[0], sf.read(blocks)[0]
    assert a.shape == b.shape == x.shape and np.isfinite(b).all()
    change = float((_log_mel(a) - _log_mel(x)).abs().mean())  # what conversion does
    seams = float((_log_mel(a) - _log_mel(b)).abs().mean())  # what blocks change
    assert seams < 0.35 * change, (seams, change)
    # no clicks at the joins: the largest sample step stays within the whole-file signal's range
    assert np.abs(np.diff(b)).max() <= 1.5 * np.abs(np.diff(a)).max() + 1e-3
    assert not list(tmp_path.glob(".*tmp*"))  # the float temporary file is gone


def test_denoise_and_convert_share_one_output_plan(tmp_path):
    from audiogan.inference import convert, denoise, outputs

    (tmp_path / "in" / "deep").mkdir(parents=True)
    for name in ("a.flac", "deep/b.wav"):
        sf.write(tmp_path / "in" / name, np.zeros(800, np.float32), 16000)
    kept = outputs.plan_outputs([tmp_path / "in"], tmp_path / "out")
    assert [j.dst.relative_to(tmp_path / "out").as_posix() for j in kept] == ["a.flac", "deep/b.wav"]
    assert denoise.plan_outputs is outputs.plan_outputs
    wav = convert.plan_outputs([tmp_path / "in"], tmp_path / "out")
    assert [d.relative_to(tmp_path / "out").as_posix() for _, d in wav] == ["a.wav", "deep/b.wav"]
    sf.write(tmp_path / "in" / "a.wav", np.zeros(800, np.float32), 16000)  # a.flac and a.wav -> a.wav
    with pytest.raises(Exception, match="would both be written to"):
        convert.plan_outputs([tmp_path / "in"], tmp_path / "out")
