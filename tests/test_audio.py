"""audiogan.audio: loading, errors on bad files, resampling, channel mixing, block I/O and atomic saving."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan import audio
from audiogan.errors import AudioError, AudioGanError

SR = 16000


def sine(freq: float = 440.0, sr: int = SR, seconds: float = 0.5, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def stereo(sr: int = SR) -> np.ndarray:
    """Two different channels, ``[2, T]``."""
    return np.stack([sine(440, sr), sine(660, sr, amp=0.25)])


def peak_frequency(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spec)])


def leftovers(folder: Path) -> list[str]:
    """Temporary files a writer may have left behind."""
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name or p.name.startswith("."))


# -- loading ----------------------------------------------------------------------------------------
def test_load_wav_gives_float32_channels_first_and_rate(tmp_path):
    x = sine()
    sf.write(tmp_path / "a.wav", x, SR, subtype="PCM_16")
    y, sr = audio.load(tmp_path / "a.wav")
    assert sr == SR
    assert y.dtype == np.float32 and y.shape == (1, len(x))
    np.testing.assert_allclose(y[0], x, atol=1 / 2**15)


def test_load_stereo_keeps_channels_and_mono_averages(tmp_path):
    x = stereo()
    sf.write(tmp_path / "s.wav", x.T, SR, subtype="FLOAT")
    y, _ = audio.load(tmp_path / "s.wav")
    np.testing.assert_array_equal(y, x)
    m, _ = audio.load(tmp_path / "s.wav", mono=True)
    assert m.shape == (1, x.shape[1])
    np.testing.assert_allclose(m[0], x.mean(0), atol=1e-7)


def test_info_reports_header(tmp_path):
    sf.write(tmp_path / "s.flac", stereo().T, SR)
    i = audio.info(tmp_path / "s.flac")
    assert (i.sample_rate, i.channels, i.frames, i.format) == (SR, 2, SR // 2, "FLAC")
    assert i.duration == pytest.approx(0.5)


def test_load_start_and_frames(tmp_path):
    x = sine()
    sf.write(tmp_path / "a.wav", x, SR, subtype="FLOAT")
    y, _ = audio.load(tmp_path / "a.wav", start=100, frames=50)
    np.testing.assert_array_equal(y[0], x[100:150])


@pytest.mark.parametrize("ext", ["flac", "ogg", "wav"])
def test_save_load_round_trip(tmp_path, ext):
    x = stereo()
    path = audio.save(tmp_path / f"r.{ext}", x, SR)
    y, sr = audio.load(path)
    assert sr == SR and y.shape[0] == 2
    if ext == "ogg":  # lossy: same length (within a codec frame) and the same tones
        n = min(y.shape[1], x.shape[1])
        assert abs(y.shape[1] - x.shape[1]) < 1024
        for c in range(2):
            assert np.corrcoef(x[c, :n], y[c, :n])[0, 1] > 0.99
    else:  # 16-bit PCM
        np.testing.assert_allclose(y, x, atol=1 / 2**15)


# -- bad input: one AudioError with a one-line message naming the file ----------------------------------
def _make_bad(tmp_path: Path, kind: str) -> Path:
    p = tmp_path / f"{kind}.wav"
    if kind == "missing":
        return p
    if kind == "empty":
        p.touch()
    elif kind == "text":
        p.write_text("this is not audio\n" * 20)
    elif kind == "directory":
        p.mkdir()
    elif kind == "nan":
        x = sine()
        x[123] = np.nan
        sf.write(p, x, SR, subtype="FLOAT")
    elif kind == "inf":
        x = sine()
        x[-1] = np.inf
        sf.write(p, x, SR, subtype="FLOAT")
    else:
        sf.write(tmp_path / "good.wav", sine(), SR)
        data = (tmp_path / "good.wav").read_bytes()
        if kind == "truncated_header":
            p.write_bytes(data[:20])
        elif kind == "truncated_data":  # an interrupted copy: header says 0.5 s, file holds a few ms
            p.write_bytes(data[:1000])
        elif kind == "bad_magic":
            p.write_bytes(b"RIFX" + data[4:8] + b"JUNK" + data[12:])
        elif kind == "no_samples":  # a valid header with zero frames
            sf.write(p, np.zeros(0, np.float32), SR)
    return p


BAD_KINDS = ["missing", "empty", "text", "directory", "nan", "inf", "truncated_header", "truncated_data",
             "bad_magic", "no_samples"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_files_raise_one_line_audio_error(tmp_path, kind):
    p = _make_bad(tmp_path, kind)
    for read in (audio.load, lambda q: list(audio.iter_blocks(q, 256))):
        with pytest.raises(AudioError) as e:
            read(p)
        msg = str(e.value)
        assert "\n" not in msg and p.name in msg
        assert isinstance(e.value, AudioGanError)


def test_bad_file_messages_say_what_is_wrong(tmp_path):
    expect = {"missing": "no such file", "empty": "empty", "directory": "directory", "nan": "NaN",
              "truncated_data": "truncated", "text": "not a readable audio file"}
    for kind, words in expect.items():
        with pytest.raises(AudioError, match=words):
            audio.load(_make_bad(tmp_path, kind))


def test_truncated_flac_is_an_audio_error(tmp_path):
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "a.flac", 0.1 * rng.standard_normal(SR * 2).astype(np.float32), SR)
    data = (tmp_path / "a.flac").read_bytes()
    (tmp_path / "t.flac").write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError, match="t.flac"):
        audio.load(tmp_path / "t.flac")


def test_wav_with_slightly_long_header_still_loads(tmp_path):
    """A header declaring one extra byte (seen in the wild) is not a truncated file."""
    import struct

    sf.write(tmp_path / "a.wav", sine(), SR)
    data = bytearray((tmp_path / "a.wav").read_bytes())
    size = struct.unpack("<I", data[40:44])[0]
    data[40:44] = struct.pack("<I", size + 1)
    (tmp_path / "b.wav").write_bytes(bytes(data))
    y, _ = audio.load(tmp_path / "b.wav")
    assert y.shape == (1, len(sine()))
    # a streamed WAV (length unknown when the header was written) is not truncated either
    data[4:8] = data[40:44] = struct.pack("<I", 0xFFFFFFFF)
    (tmp_path / "c.wav").write_bytes(bytes(data))
    y, _ = audio.load(tmp_path / "c.wav")
    assert y.shape == (1, len(sine()))


# -- resampling and channels ------------------------------------------------------------------------------
def test_resample_44k1_to_16k_keeps_length_ratio_and_frequency(tmp_path):
    x = sine(1000.0, sr=44100, seconds=1.0)
    y = audio.resample(x, 44100, 16000)
    assert isinstance(y, np.ndarray) and y.shape == (16000,)
    assert peak_frequency(y, 16000) == pytest.approx(1000.0, abs=2.0)
    # amplitude is kept (band-limited, no gain change) away from the edges
    assert np.abs(y[1000:-1000]).max() == pytest.approx(0.5, abs=0.01)
    sf.write(tmp_path / "hi.wav", x, 44100, subtype="FLOAT")
    z, sr = audio.load(tmp_path / "hi.wav", sample_rate=16000)
    assert sr == 16000 and z.shape == (1, 16000) and z.dtype == np.float32


def test_resample_tensor_and_identity():
    t = torch.from_numpy(sine(500.0, sr=8000))[None]
    y = audio.resample(t, 8000, 16000)
    assert isinstance(y, torch.Tensor) and y.shape == (1, 2 * t.shape[1])
    assert peak_frequency(y[0].numpy(), 16000) == pytest.approx(500.0, abs=2.0)
    x = sine()
    assert audio.resample(x, SR, SR) is x


def test_to_mono_and_to_channels():
    x = stereo()
    m = audio.to_mono(x)
    assert m.shape == (1, x.shape[1]) and m.dtype == np.float32
    np.testing.assert_allclose(m[0], (x[0] + x[1]) / 2, atol=1e-7)
    assert audio.to_mono(m) is m
    up = audio.to_channels(m, 2)
    assert up.shape == (2, x.shape[1])
    np.testing.assert_array_equal(up[0], up[1])
    np.testing.assert_array_equal(audio.to_channels(x, 1), m)
    assert audio.to_channels(x, 2) is x


# -- block-wise reading ------------------------------------------------------------------------------------
@pytest.mark.parametrize("block", [1000, 4096, 8000, 100000])
def test_iter_blocks_concatenation_equals_load(tmp_path, block):
    x = stereo()
    sf.write(tmp_path / "s.flac", x.T, SR)
    full, _ = audio.load(tmp_path / "s.flac")
    blocks = list(audio.iter_blocks(tmp_path / "s.flac", block))
    assert all(b.shape[0] == 2 and 0 < b.shape[1] <= block for b in blocks)
    assert len(blocks) == -(-x.shape[1] // block)
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), full)


def test_iter_blocks_rejects_non_positive_block(tmp_path):
    sf.write(tmp_path / "a.wav", sine(), SR)
    with pytest.raises(ValueError):
        list(audio.iter_blocks(tmp_path / "a.wav", 0))


def test_iter_blocks_nan_in_a_late_block(tmp_path):
    x = sine(seconds=1.0)
    x[-5] = np.nan
    sf.write(tmp_path / "n.wav", x, SR, subtype="FLOAT")
    it = audio.iter_blocks(tmp_path / "n.wav", 4000)
    assert next(it).shape == (1, 4000)
    with pytest.raises(AudioError, match="NaN"):
        list(it)


# -- saving --------------------------------------------------------------------------------------------------
def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    out = tmp_path / "sub" / "o.wav"  # parent folders are created
    audio.save(out, sine(), SR)
    assert out.is_file() and leftovers(out.parent) == []
    audio.save(out, sine(880.0), SR)  # replace an existing file
    y, _ = audio.load(out)
    assert peak_frequency(y[0], SR) == pytest.approx(880.0, abs=40)
    assert leftovers(out.parent) == []


def test_save_failure_keeps_existing_file(tmp_path, monkeypatch):
    out = tmp_path / "o.wav"
    audio.save(out, sine(), SR)
    before = out.read_bytes()

    def broken_write(file, data, *args, **kwargs):
        Path(file).write_bytes(b"RIFF partial")  # something half-written, then a crash
        raise RuntimeError("disk full")

    monkeypatch.setattr(sf, "write", broken_write)
    with pytest.raises(RuntimeError, match="disk full"):
        audio.save(out, sine(880.0), SR)
    assert out.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_save_refuses_nan_without_touching_existing_file(tmp_path):
    out = tmp_path / "o.wav"
    audio.save(out, sine(), SR)
    before = out.read_bytes()
    bad = sine()
    bad[10] = np.inf
    with pytest.raises(AudioError, match="NaN or Inf"):
        audio.save(out, bad, SR)
    assert out.read_bytes() == before and leftovers(tmp_path) == []


def test_saved_file_has_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        out = audio.save(tmp_path / "o.wav", sine(), SR)
        with audio.AudioWriter(tmp_path / "w.wav", SR, 1) as w:
            w.write(sine())
    finally:
        os.umask(old)
    for p in (out, tmp_path / "w.wav"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644


def test_peak_guard_scales_instead_of_clipping(tmp_path):
    x = stereo() * 4.0  # peak 2.0
    out = audio.save(tmp_path / "loud.wav", x, SR, subtype="FLOAT")
    y, _ = audio.load(out)
    assert np.abs(y).max() == pytest.approx(0.999, abs=1e-6)
    # the same waveform, scaled: no flattened peaks
    np.testing.assert_allclose(y, x * (0.999 / np.abs(x).max()), rtol=1e-5, atol=1e-7)
    quiet = stereo()
    np.testing.assert_array_equal(audio.peak_guard(quiet), quiet)
    raw = audio.save(tmp_path / "raw.wav", x, SR, subtype="FLOAT", guard=False)
    assert np.abs(audio.load(raw)[0]).max() == pytest.approx(2.0)


def test_save_accepts_1d_and_checks_extension_and_target(tmp_path):
    out = audio.save(tmp_path / "m.flac", sine(), SR)
    assert audio.info(out).channels == 1
    with pytest.raises(AudioError, match="unsupported output extension"):
        audio.save(tmp_path / "x.mp4", sine(), SR)
    (tmp_path / "d.wav").mkdir()
    with pytest.raises(AudioError, match="directory"):
        audio.save(tmp_path / "d.wav", sine(), SR)


def test_audio_writer_writes_blocks_atomically(tmp_path):
    x = stereo()
    out = tmp_path / "w.flac"
    with audio.AudioWriter(out, SR, channels=2) as w:
        for i in range(0, x.shape[1], 3000):
            w.write(x[:, i:i + 3000])
            assert not out.exists()  # only visible once complete
    assert w.frames == x.shape[1]
    y, sr = audio.load(out)
    assert sr == SR
    np.testing.assert_allclose(y, x, atol=1 / 2**15)
    assert leftovers(tmp_path) == []
    w.close()  # closing twice is harmless


def test_audio_writer_discards_on_error_and_keeps_old_file(tmp_path):
    out = tmp_path / "w.wav"
    audio.save(out, sine(), SR)
    before = out.read_bytes()
    with pytest.raises(RuntimeError):
        with audio.AudioWriter(out, SR, channels=1) as w:
            w.write(sine(880.0))
            raise RuntimeError("model crashed")
    assert out.read_bytes() == before and leftovers(tmp_path) == []


def test_audio_writer_checks_blocks(tmp_path):
    with audio.AudioWriter(tmp_path / "w.wav", SR, channels=1) as w:
        with pytest.raises(ValueError, match="expects blocks"):
            w.write(stereo())
        bad = sine()
        bad[0] = np.nan
        with pytest.raises(AudioError, match="NaN"):
            w.write(bad)
        w.write(sine())
    assert audio.info(tmp_path / "w.wav").frames == len(sine())


def test_find_audio_files(tmp_path):
    for name in ["b/2.flac", "a.wav", "b/1.WAV", "c.ogg", "notes.txt", ".a.wav.x.tmp.wav", "b/._3.wav"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = audio.find_audio_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.wav", "b/1.WAV", "b/2.flac", "c.ogg"]
    assert audio.find_audio_files([tmp_path / "notes.txt"]) == [tmp_path / "notes.txt"]  # explicit file kept
    (tmp_path / "empty").mkdir()
    with pytest.raises(AudioError, match="holds no"):
        audio.find_audio_files([tmp_path / "empty"])
    with pytest.raises(AudioError, match="no such"):
        audio.find_audio_files([tmp_path / "nope"])


# -- real speech ---------------------------------------------------------------------------------------
def test_real_speech_flac_loads_and_resamples(data_root):
    root = data_root
    rows = [line.split("\t") for line in (root / "manifest.tsv").read_text().splitlines()[1:] if line]
    rel, rate, n = next(r[:3] for r in rows if r[0].startswith("vcc2016/"))
    x, sr = audio.load(root / rel)
    assert sr == int(rate) and x.shape == (1, int(n)) and np.isfinite(x).all()
    y, sr8 = audio.load(root / rel, sample_rate=8000)
    assert sr8 == 8000 and abs(y.shape[1] - int(n) // 2) <= 1
    blocks = list(audio.iter_blocks(root / rel, 4096))
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), x)
