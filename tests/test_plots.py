"""audiogan.plots: log-mel pictures line up in time and level across rates; PNGs are written atomically
with plain-open permissions; the before/after picture never replaces an input."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from audiogan.errors import AudioGanError
from audiogan.plots import log_mel_db, plot_before_after, save_spectrograms

PNG = b"\x89PNG\r\n\x1a\n"


def tone(sr: int, seconds: float = 1.0, f: float = 1000.0, amp: float = 0.3) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * f * np.arange(int(sr * seconds)) / sr)).astype(np.float32)


def test_log_mel_frames_follow_time_not_the_rate():
    a, b = log_mel_db(tone(16000), 16000), log_mel_db(tone(44100), 44100)
    assert a.shape[0] == 80 and b.shape[0] == 80
    assert abs(a.shape[1] - b.shape[1]) <= 1 and a.shape[1] == pytest.approx(1 / 0.016, abs=2)  # 16 ms hop
    assert log_mel_db(tone(8000), 8000).shape[0] == 80


def test_log_mel_is_power_in_db_with_a_floor():
    quiet, loud = log_mel_db(tone(16000, amp=0.1), 16000), log_mel_db(tone(16000, amp=0.2), 16000)
    peak = quiet[:, 10:-10].max(axis=1).argmax()
    assert loud[peak, 10:-10].mean() - quiet[peak, 10:-10].mean() == pytest.approx(20 * np.log10(2), abs=0.01)
    assert log_mel_db(np.zeros(16000, np.float32), 16000).max() == pytest.approx(-100.0)
    stereo = np.stack([tone(16000), np.zeros(16000, np.float32)])  # channels are averaged
    np.testing.assert_allclose(log_mel_db(stereo, 16000), log_mel_db(tone(16000, amp=0.15), 16000),
                               atol=1e-3)


def test_save_spectrograms_writes_a_png_atomically_with_open_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        out = save_spectrograms([tone(16000), tone(44100, 0.5)], [16000, 44100], tmp_path / "sub" / "s.png",
                                ["a", "b"])
    finally:
        os.umask(old)
    assert out == tmp_path / "sub" / "s.png" and out.read_bytes()[:8] == PNG
    assert out.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in out.parent.iterdir()] == ["s.png"]  # no temporary file left
    small = save_spectrograms([tone(16000)], 16000, tmp_path / "one.png")
    assert small.stat().st_size < out.stat().st_size  # one panel, not two


def test_before_after_picture_sits_beside_the_output_and_never_replaces_an_input(tmp_path):
    sf.write(tmp_path / "in.wav", tone(44100), 44100)
    sf.write(tmp_path / "out.flac", tone(16000), 16000)
    png = plot_before_after(tmp_path / "in.wav", tmp_path / "out.flac", "enhanced")
    assert png == tmp_path / "out.flac.png" and png.read_bytes()[:8] == PNG
    sf.write(tmp_path / "x.wav.png", tone(16000), 16000, format="WAV")  # an input named like the picture
    sf.write(tmp_path / "x.wav", tone(16000), 16000)
    before = (tmp_path / "x.wav.png").read_bytes()
    with pytest.raises(AudioGanError, match="would overwrite an input"):
        plot_before_after(tmp_path / "x.wav.png", tmp_path / "x.wav")
    assert (tmp_path / "x.wav.png").read_bytes() == before
