"""WORLD features: analysis/synthesis round trip, coded envelopes, archive, statistics and the module CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.errors import AudioError, AudioGanError, ConfigError, DataDirError
from audiogan.features import commands
from audiogan.features import world as w

SR = 16000


def voiced(
    f0: float = 150.0, dur: float = 0.6, sr: int = SR, vibrato: float = 0.0, seed: int = 0
) -> np.ndarray:
    """Vowel-like signal ``[T]``: harmonics of ``f0`` shaped by three formants, tiny noise floor."""
    t = np.arange(int(dur * sr)) / sr
    f = f0 + vibrato * np.sin(2 * np.pi * 3.0 * t)
    phase = 2 * np.pi * np.cumsum(f) / sr
    x = np.zeros_like(t)
    for k in range(1, int(sr / 2 / (f0 + vibrato))):
        fk = k * f0
        amp = 0.02 + sum(
            g * np.exp(-0.5 * ((fk - fc) / bw) ** 2)
            for fc, bw, g in ((700, 120, 1.0), (1200, 150, 0.6), (2600, 250, 0.3))
        )
        x += amp * np.sin(k * phase) / np.sqrt(k)
    x = 0.3 * x / np.abs(x).max()
    return x + 1e-4 * np.random.default_rng(seed).standard_normal(x.size)


def _write(path: Path, x: np.ndarray, sr: int = SR) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subtype = "PCM_16" if path.suffix == ".flac" else "FLOAT"
    sf.write(str(path), np.asarray(x, dtype=np.float32), sr, subtype=subtype)
    return path


def _lsd_db(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((10 * np.log10(a / b)) ** 2)))


INNER = slice(10, -10)  # frames at least 50 ms from the abrupt start/end of the synthetic signal


# ------------------------------------------------------------------------------------------- analysis


@pytest.mark.parametrize("method", ["harvest", "dio"])
@pytest.mark.parametrize("f0", [110.0, 220.0])
def test_analysis_synthesis_round_trip_keeps_f0_and_envelope(method, f0):
    cfg = w.WorldConfig(f0_method=method)
    x = voiced(f0)
    feats = w.analyze(x, cfg)
    n = len(x) // (SR * 5 // 1000) + 1
    assert feats.f0.shape == (n,) and feats.sp.shape == (n, 513) and feats.ap.shape == (n, 513)
    assert np.all(np.abs(feats.f0[INNER] / f0 - 1) < 0.01)

    y = w.synthesize(feats.f0, feats.sp, feats.ap, SR, cfg.frame_period)
    assert abs(len(y) - len(x)) <= SR * 5 // 1000
    again = w.analyze(y[: len(x)], cfg)
    assert np.all(np.abs(again.f0[INNER] / f0 - 1) < 0.01), "F0 of the resynthesised signal within 1 %"
    assert _lsd_db(feats.sp[INNER], again.sp[INNER]) < 5.0, "log-spectral distance of the envelopes (dB)"


def test_coded_envelope_round_trip():
    cfg = w.WorldConfig()
    feats = w.analyze(voiced(), cfg)
    coded = w.code_envelope(feats.sp, SR, 36)
    assert coded.shape == (feats.n_frames, 36)
    sp = w.decode_envelope(coded, SR, cfg.resolved_fft_size)
    assert sp.shape == feats.sp.shape and np.all(sp > 0)
    assert _lsd_db(feats.sp, sp) < 5.0
    ap = w.decode_aperiodicity(w.code_aperiodicity(feats.ap, SR), SR, cfg.resolved_fft_size)
    assert ap.shape == feats.ap.shape and np.all((ap >= 0) & (ap <= 1))


def test_silence_is_unvoiced_and_finite():
    cfg = w.WorldConfig()
    feats = w.extract(np.zeros(SR // 2), cfg)
    assert np.all(feats["f0"] == 0)
    assert np.isfinite(feats["coded_sp"]).all()


def test_extract_returns_float32_archive_arrays(tmp_path):
    path = _write(tmp_path / "a.flac", voiced())
    feats = w.extract(path, w.WorldConfig(coded_dim=24))
    assert set(feats) == {"f0", "coded_sp", "coded_ap"}
    assert all(v.dtype == np.float32 for v in feats.values())
    n = feats["f0"].shape[0]
    assert feats["coded_sp"].shape == (n, 24) and feats["coded_ap"].shape == (n, 1)


def test_extract_resamples_to_configured_rate(tmp_path):
    import scipy.signal

    x8 = scipy.signal.resample_poly(voiced(150.0), 1, 2)
    feats = w.extract(_write(tmp_path / "a.wav", x8, 8000), w.WorldConfig())
    assert abs(np.median(feats["f0"][INNER]) / 150 - 1) < 0.01
    assert feats["f0"].shape[0] == 0.6 * SR // 80 + 1


def test_extract_many_parallel_equals_serial(tmp_path):
    paths = {
        f"u{i}": _write(tmp_path / f"u{i}.wav", voiced(120.0 + 20 * i, dur=0.3, seed=i)) for i in range(3)
    }
    cfg = w.WorldConfig(f0_method="dio")
    serial = w.extract_many(paths, cfg, jobs=1)
    parallel = w.extract_many(paths, cfg, jobs=2)
    assert list(serial) == list(parallel) == ["u0", "u1", "u2"]
    for utt in serial:
        for k in serial[utt]:
            np.testing.assert_array_equal(serial[utt][k], parallel[utt][k])


@pytest.mark.parametrize(
    "make, msg",
    [
        (lambda p: _write(p, voiced(dur=0.05)), "too short"),
        (lambda p: _write(p, np.stack([voiced(), voiced()], axis=1)), "2 channels"),
        (lambda p: p.write_bytes(b"not audio at all" * 20) and p, "not a readable audio file"),
        (lambda p: p.write_bytes(b"") or p, "empty file"),
    ],
)
def test_bad_files_raise_one_line_audio_errors(tmp_path, make, msg):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError, match=msg):
        w.extract(path)


def test_nan_signal_is_refused():
    x = voiced()
    x[100] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        w.analyze(x)


def test_config_validation():
    cfg = w.WorldConfig.from_dict({"sample_rate": 22050, "f0_floor": 60, "coded_dim": 40})
    assert cfg.f0_floor == 60.0 and cfg.resolved_fft_size == 2048
    assert w.WorldConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown world config key 'f0_flor'"):
        w.WorldConfig.from_dict({"f0_flor": 60})
    with pytest.raises(ConfigError, match="f0_method"):
        w.WorldConfig(f0_method="yin")
    with pytest.raises(ConfigError, match="F0 range"):
        w.WorldConfig(f0_floor=500, f0_ceil=400)
    with pytest.raises(ConfigError, match="fft_size"):
        w.WorldConfig(fft_size=1000)


# ------------------------------------------------------------------------------------------- archive & stats


def test_feats_archive_round_trip(tmp_path):
    feats = {
        "b": {"f0": np.array([0, 100, 110], np.float32), "coded_sp": np.ones((3, 4), np.float32)},
        "a": {"f0": np.array([120, 0], np.float32), "coded_sp": np.zeros((2, 4), np.float32)},
    }
    scp = w.write_feats(feats, tmp_path / "data" / "feats", tmp_path / "data" / "feats.scp")
    lines = scp.read_text().splitlines()
    assert [ln.split()[0] for ln in lines] == ["a", "b"]
    # The one feats.scp format (audiogan.data.feats): an absolute archive path and the utterance's key.
    archive = tmp_path / "data" / "feats" / "feats.npz"
    assert [ln.split()[1] for ln in lines] == [f"{archive.resolve()}:a", f"{archive.resolve()}:b"]
    loaded = w.load_feats(scp)
    for utt in feats:
        for k in feats[utt]:
            np.testing.assert_array_equal(loaded[utt][k], feats[utt][k])
    # The same archive as audiogan.data.datadir's reader sees it.
    from audiogan.data.datadir import read_feats

    np.testing.assert_array_equal(read_feats(scp)["b"]["coded_sp"], feats["b"]["coded_sp"])
    with pytest.raises(DataDirError, match="no features for utterance 'c'"):
        w.load_feats(scp, ["c"])
    # Feature dirs of the old form (one <utt>.npz per utterance, bare paths in feats.scp) still read,
    # relative paths falling back to the scp's folder.
    old = tmp_path / "old"
    for utt in feats:
        w.save_utt_feats(old / "feats" / f"{utt}.npz", feats[utt])
    (old / "feats.scp").write_text("a feats/a.npz\nb feats/b.npz\n")
    np.testing.assert_array_equal(w.load_feats(old / "feats.scp")["b"]["f0"], feats["b"]["f0"])
    (old / "feats" / "a.npz").write_bytes(b"garbage")
    with pytest.raises(DataDirError, match="unreadable|not a readable"):
        w.load_feats(old / "feats.scp")
    archive.write_bytes(b"garbage")
    with pytest.raises(DataDirError, match="unreadable|not a readable"):
        w.load_feats(scp)


def test_compute_stats_known_values(tmp_path):
    f0_a = np.array([0.0, 100.0, 200.0, 0.0])
    f0_b = np.array([400.0, 0.0])
    sp_a = np.array([[1.0, 10.0]] * 4)
    sp_b = np.array([[3.0, 10.0]] * 2)
    stats = w.compute_stats([{"f0": f0_a, "coded_sp": sp_a}, {"f0": f0_b, "coded_sp": sp_b}])
    logf0 = np.log([100.0, 200.0, 400.0])  # unvoiced frames are left out
    assert stats.logf0_mean == pytest.approx(logf0.mean())
    assert stats.logf0_std == pytest.approx(logf0.std())
    np.testing.assert_allclose(stats.sp_mean, [5 / 3, 10.0])
    np.testing.assert_allclose(stats.sp_std, [np.std([1, 1, 1, 1, 3, 3]), 1e-8])  # constant dim: floored
    assert (stats.n_frames, stats.n_voiced) == (6, 3)

    back = w.SpeakerStats.load(stats.save(tmp_path / "stats" / "spk.json"))
    assert back.to_dict() == stats.to_dict()
    # Plain containers only: survives a weights_only torch checkpoint.
    torch.save({"extra": {"stats": stats.to_dict()}}, tmp_path / "ck.pt")
    d = torch.load(tmp_path / "ck.pt", weights_only=True)["extra"]["stats"]
    assert w.SpeakerStats.from_dict(d).to_dict() == stats.to_dict()

    with pytest.raises(AudioGanError, match="no voiced frames"):
        w.compute_stats([{"f0": np.zeros(5), "coded_sp": sp_a[:1].repeat(5, 0)}])


def test_normalisation_and_f0_conversion():
    src = w.SpeakerStats(np.log(200.0), 0.2, np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    tgt = w.SpeakerStats(np.log(100.0), 0.1, np.zeros(2), np.ones(2))
    f0 = np.array([0.0, 200.0, 200.0 * np.exp(0.2)])
    np.testing.assert_allclose(w.convert_f0(f0, src, tgt), [0.0, 100.0, 100.0 * np.exp(0.1)])
    coded = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(w.normalize_coded_sp(coded, src), [[0, 0], [1, 1]])
    np.testing.assert_allclose(w.denormalize_coded_sp(w.normalize_coded_sp(coded, src), src), coded)
    with pytest.raises(AudioGanError, match="3 dims"):
        w.normalize_coded_sp(np.zeros((2, 3)), src)


def test_stats_file_errors(tmp_path):
    with pytest.raises(DataDirError, match="no such statistics file"):
        w.SpeakerStats.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text(json.dumps({"logf0_mean": 5.0}))
    with pytest.raises(DataDirError, match="malformed"):
        w.SpeakerStats.load(tmp_path / "bad.json")


# ------------------------------------------------------------------------------------------- module CLI


def _datadir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    utts = {"A_u1": ("A", 120.0), "A_u2": ("A", 130.0), "B_u1": ("B", 220.0), "B_u2": ("B", 240.0)}
    with open(d / "wav.scp", "w") as scp, open(d / "utt2spk", "w") as u2s:
        for i, (utt, (spk, f0)) in enumerate(utts.items()):
            path = _write(tmp_path / "wav" / f"{utt}.wav", voiced(f0, dur=0.3, seed=i))
            scp.write(f"{utt} {path}\n")
            u2s.write(f"{utt} {spk}\n")
    return d


def test_cli_extract_parts_merge_and_stats(tmp_path, capsys):
    d = _datadir(tmp_path)
    for part in (1, 2):
        assert (
            commands.main(
                [
                    "extract",
                    "--datadir",
                    str(d),
                    "--part",
                    str(part),
                    "--nparts",
                    "2",
                    "--f0-method",
                    "dio",
                    "--no-progress",
                ]
            )
            == 0
        )
    assert (d / "feats" / "feats.1.scp").read_text().split()[0] == "A_u1"
    assert commands.main(["merge", "--datadir", str(d), "--nparts", "2"]) == 0
    assert sorted(w.read_feats_scp(d / "feats.scp")) == ["A_u1", "A_u2", "B_u1", "B_u2"]
    assert w.load_world_config(d) == w.WorldConfig(f0_method="dio")

    assert commands.main(["stats", "--datadir", str(d)]) == 0
    a, b = w.SpeakerStats.load(d / "stats" / "A.json"), w.SpeakerStats.load(d / "stats" / "B.json")
    assert 115 < np.exp(a.logf0_mean) < 135 and 210 < np.exp(b.logf0_mean) < 250
    assert a.sp_mean.shape == (36,)

    # A one-shot extraction gives exactly the same archive as the two parts.
    merged = w.load_feats(d / "feats.scp")
    os.remove(d / "feats.scp")
    assert (
        commands.main(
            [
                "extract",
                "--datadir",
                str(d),
                "--outdir",
                str(tmp_path / "f2"),
                "--f0-method",
                "dio",
                "--no-progress",
            ]
        )
        == 0
    )
    whole = w.load_feats(d / "feats.scp")
    for utt in merged:
        np.testing.assert_array_equal(merged[utt]["coded_sp"], whole[utt]["coded_sp"])
    capsys.readouterr()


def test_cli_errors_are_one_line_exit_2(tmp_path, capsys):
    d = tmp_path / "empty"
    d.mkdir()
    assert commands.main(["extract", "--datadir", str(d)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("audiogan: error:") and "wav.scp" in err and err.count("\n") == 1

    (d / "wav.scp").write_text("u1 sox x.wav -t wav - |\n")
    assert commands.main(["extract", "--datadir", str(d)]) == 2
    assert "command pipe" in capsys.readouterr().err

    (d / "wav.scp").write_text(f"u1 {tmp_path / 'nope.wav'}\n")
    assert commands.main(["extract", "--datadir", str(d), "--no-progress"]) == 2
    assert "no such file" in capsys.readouterr().err

    assert commands.main(["merge", "--datadir", str(d), "--nparts", "2"]) == 2
    assert "feats.1.scp" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------- real speech


def test_real_speech_f0_ranges_and_resynthesis(data_root):
    root = data_root
    cfg = w.WorldConfig()
    for spk, lo, hi in (("SF1", 150, 320), ("TM1", 70, 170)):
        x = w.load_wave(root / "vcc2016" / spk / "100002.flac", cfg)
        feats = w.analyze(x, cfg)
        voiced_f0 = feats.f0[feats.f0 > 0]
        assert 0.3 < voiced_f0.size / feats.n_frames < 0.95
        assert lo < np.exp(np.log(voiced_f0).mean()) < hi, spk
        y = w.synthesize(feats.f0, feats.sp, feats.ap, SR, cfg.frame_period)
        assert np.isfinite(y).all() and abs(len(y) - len(x)) <= 80
