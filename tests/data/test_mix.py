"""Noisy mixtures: SNR as stated in utt2snr, determinism, no clipping, looping, resampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.data.datadir import DataDir, utt2spk_to_spk2utt, write_table
from audiogan.data.mix import active_mask, measure_snr, mix_data_dirs, mix_one
from audiogan.errors import AudioError, AudioGanError

SR = 16000


def speechy(seconds: float, seed: int, level: float = 0.3) -> np.ndarray:
    """Voiced bursts separated by near-silent pauses, so active-speech and whole-utterance SNRs differ."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    env = (np.sin(2 * np.pi * 1.5 * t) > 0.2).astype(np.float64)
    x = env * np.sin(2 * np.pi * (150 + 50 * rng.random()) * t) * level + 1e-4 * rng.standard_normal(n)
    return x.astype(np.float32)


def write_dir(root: Path, signals: dict[str, tuple[np.ndarray, int]], spk_of=lambda u: u.split("-")[0]):
    wav, utt2spk = {}, {}
    for utt, (x, sr) in signals.items():
        p = root / "audio" / f"{utt}.wav"
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(p, x, sr, subtype="FLOAT")
        wav[utt], utt2spk[utt] = str(p), spk_of(utt)
    d = root / "dir"
    write_table(d / "wav.scp", wav)
    write_table(d / "utt2spk", utt2spk)
    write_table(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    return d


@pytest.fixture()
def dirs(tmp_path):
    signals = {f"s{i % 2}-u{i}": (speechy(1.0 + 0.2 * i, i), SR) for i in range(4)}
    clean = write_dir(tmp_path / "clean", signals)
    rng = np.random.default_rng(9)
    noise = write_dir(tmp_path / "noise", {
        "n-long": ((0.1 * rng.standard_normal(3 * SR)).astype(np.float32), SR),
        "n-short": ((0.05 * rng.standard_normal(SR // 4)).astype(np.float32), SR),  # shorter than any utt
    }, spk_of=lambda u: "n")
    return clean, noise


def snapshot(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def read16(path) -> np.ndarray:
    return sf.read(path, dtype="float64")[0]


@pytest.mark.parametrize("mode", ["active", "utterance"])
def test_snr_of_written_files_matches_utt2snr(dirs, tmp_path, mode):
    clean, noise = dirs
    out = mix_data_dirs(clean, noise, tmp_path / "mix", snrs=[-5, 0, 7.5, 20], seed=3, snr_mode=mode,
                        progress=False)
    out.validate(no_feats=True, no_text=True)
    snr = out.extra("utt2snr")
    assert set(snr.values()) <= {"-5", "0", "7.5", "20"}
    for utt in out.utts:
        noisy, ref = read16(out.wav_scp[utt]), read16(out.extra("spk1.scp")[utt])
        assert len(noisy) == len(ref) == len(read16(DataDir(clean).wav_scp[utt]))
        assert measure_snr(ref, noisy - ref, SR, mode) == pytest.approx(float(snr[utt]), abs=0.1)
    assert out.extra("utt2noise")[out.utts[0]].split()[0] in ("n-long", "n-short")


def test_active_and_utterance_modes_differ_on_speech_with_pauses():
    s = speechy(2.0, 0).astype(np.float64)
    mask = active_mask(s, SR)
    assert 0.3 < mask.mean() < 0.8  # pauses are not active
    n = np.random.default_rng(1).standard_normal(len(s)) * 0.01
    assert measure_snr(s, n, SR, "active") > measure_snr(s, n, SR, "utterance") + 1.0


def test_same_command_gives_byte_identical_files(dirs, tmp_path):
    clean, noise = dirs
    kw = dict(snrs=[0, 5, 10], seed=11, utts_per_clean=2, progress=False)
    a = mix_data_dirs(clean, noise, tmp_path / "a", **kw)
    first = snapshot(tmp_path / "a")
    mix_data_dirs(clean, noise, tmp_path / "a", **kw)  # re-run over its own output
    again = snapshot(tmp_path / "a")
    assert first == again
    b = mix_data_dirs(clean, noise, tmp_path / "b", **kw)
    for utt in a.utts:
        assert Path(a.wav_scp[utt]).read_bytes() == Path(b.wav_scp[utt]).read_bytes()
    assert a.utts[:2] == ["s0-u0-mix0", "s0-u0-mix1"]
    assert (tmp_path / "a" / "utt2snr").read_text() == (tmp_path / "b" / "utt2snr").read_text()
    c = mix_data_dirs(clean, noise, tmp_path / "c", **{**kw, "seed": 12})
    assert any(Path(a.wav_scp[u]).read_bytes() != Path(c.wav_scp[u]).read_bytes() for u in a.utts)


def test_each_utterance_is_independent_of_the_others(dirs, tmp_path):
    """Seeding per utterance id: mixing a subset (one parallel job's share) gives the same files."""
    clean, noise = dirs
    full = mix_data_dirs(clean, noise, tmp_path / "full", snrs=[0, 10], seed=5, progress=False)
    from audiogan.data.operations import subset_data_dir

    part = subset_data_dir(clean, tmp_path / "part", ["s1-u3"])
    one = mix_data_dirs(part.path, noise, tmp_path / "one", snrs=[0, 10], seed=5, progress=False)
    assert Path(one.wav_scp["s1-u3"]).read_bytes() == Path(full.wav_scp["s1-u3"]).read_bytes()


def test_loud_mixture_is_scaled_not_clipped(tmp_path):
    x = speechy(1.0, 0, level=0.98)
    clean = write_dir(tmp_path / "c", {"s-1": (x, SR)})
    noise = write_dir(tmp_path / "n", {"n-1": ((0.5 * np.random.default_rng(0).standard_normal(SR)).astype(
        np.float32), SR)}, spk_of=lambda u: "n")
    out = mix_data_dirs(clean, noise, tmp_path / "m", snrs=[0], seed=0, progress=False)
    noisy, ref = read16(out.wav_scp["s-1"]), read16(out.extra("spk1.scp")["s-1"])
    assert np.max(np.abs(noisy)) <= 0.99 + 2 / 32768
    assert np.max(np.abs(noisy)) > 0.98  # scaled to just below full scale, not squashed
    # The reference went down with the mix by the same factor, so the SNR holds.
    gain = np.dot(ref, x) / np.dot(x, x)
    assert gain < 0.9
    np.testing.assert_allclose(ref, gain * x, atol=2e-4)
    assert measure_snr(ref, noisy - ref, SR) == pytest.approx(0.0, abs=0.1)


def test_mix_one_output_is_exact_on_the_16bit_grid():
    rng = np.random.default_rng(2)
    s, n = speechy(0.5, 1), rng.standard_normal(SR // 2)
    noisy, ref = mix_one(s, n, 5.0, SR)
    assert np.array_equal(noisy * 32768, np.round(noisy * 32768))
    assert np.array_equal(ref * 32768, np.round(ref * 32768))


def test_noise_at_another_rate_is_resampled_and_stereo_clean_downmixed(tmp_path):
    x = speechy(1.0, 3)
    clean = write_dir(tmp_path / "c", {"s-1": (np.stack([x, 0.5 * x], axis=1), SR)})
    noise = write_dir(tmp_path / "n", {"n-1": ((0.1 * np.random.default_rng(0).standard_normal(8000)).astype(
        np.float32), 8000)}, spk_of=lambda u: "n")
    out = mix_data_dirs(clean, noise, tmp_path / "m", snrs=[10], seed=0, progress=False)
    info = sf.info(out.wav_scp["s-1"])
    assert (info.samplerate, info.channels, info.frames) == (SR, 1, SR)
    assert info.subtype == "PCM_16"
    out16 = mix_data_dirs(clean, noise, tmp_path / "m8", snrs=[10], seed=0, sample_rate=8000, progress=False)
    assert sf.info(out16.wav_scp["s-1"]).samplerate == 8000


def test_bad_inputs_are_clear_errors(dirs, tmp_path):
    clean, noise = dirs
    silent = write_dir(tmp_path / "s", {"s-1": (np.zeros(SR, dtype=np.float32), SR)})
    with pytest.raises(AudioError, match="utterance 's-1'.*digital silence"):
        mix_data_dirs(silent, noise, tmp_path / "m", snrs=[0], progress=False)
    with pytest.raises(AudioGanError, match="must differ from the input"):
        mix_data_dirs(clean, noise, clean, snrs=[0], progress=False)
    with pytest.raises(AudioGanError, match="unknown SNR mode"):
        mix_data_dirs(clean, noise, tmp_path / "m", snrs=[0], snr_mode="p56", progress=False)


# -- augmentation for training sets that generalise -------------------------------------------------
def test_snr_range_draws_within_the_range_and_is_measured(dirs, tmp_path):
    clean, noise = dirs
    d = mix_data_dirs(clean, noise, tmp_path / "out", snrs=[], snr_range=(-5.0, 20.0), seed=3,
                      utts_per_clean=4, progress=False)
    snrs = {u: float(v) for u, v in d.extra("utt2snr").items()}
    assert all(-5.0 <= v <= 20.0 for v in snrs.values()) and len(set(snrs.values())) > 8
    for utt, snr in list(snrs.items())[:4]:
        noisy, ref = read16(d.audio_path(utt)), read16(d.audio_path(utt, "spk1.scp"))
        assert measure_snr(ref, noisy - ref, SR) == pytest.approx(snr, abs=0.02)


def test_babble_gain_and_band_limit_are_seeded_and_recorded(dirs, tmp_path):
    clean, noise = dirs
    kw = dict(snrs=[5.0], seed=1, utts_per_clean=3, gain_range=(-20.0, 0.0), babble=clean, babble_share=0.5,
              babble_talkers=(2, 3), bandlimit_share=0.5, progress=False)
    a = mix_data_dirs(clean, noise, tmp_path / "a", **kw)
    b = mix_data_dirs(clean, noise, tmp_path / "b", **kw)
    assert [read16(a.audio_path(u)).tobytes() for u in a.utts] == [
        read16(b.audio_path(u)).tobytes() for u in b.utts
    ]
    kinds = {v.split()[0] for v in a.extra("utt2noise").values()}
    assert "babble" in kinds and kinds - {"babble"}  # both kinds at a share of 0.5 over 12 mixtures
    bands = a.extra("utt2band")
    assert set(bands.values()) == {"8000", "full"}
    for utt, band in bands.items():
        noisy, ref = read16(a.audio_path(utt)), read16(a.audio_path(utt, "spk1.scp"))
        spec = np.abs(np.fft.rfft(noisy)) ** 2
        freqs = np.fft.rfftfreq(len(noisy), 1 / SR)
        high = spec[freqs > 4200].sum() / spec.sum()
        if band == "8000":
            assert high < 2e-3, (utt, high)  # resampler transition band and 16-bit rounding
        elif not a.extra("utt2noise")[utt].startswith("babble"):  # white noise keeps its high band
            assert high > 1e-2, (utt, high)
        assert measure_snr(ref, noisy - ref, SR) == pytest.approx(5.0, abs=0.3)
    # the augmentation draws come from their own stream: the noise picks of plain mixing are unchanged
    plain = mix_data_dirs(clean, noise, tmp_path / "plain", snrs=[5.0], seed=1, utts_per_clean=3,
                          progress=False)
    picks = {u: v for u, v in a.extra("utt2noise").items() if not v.startswith("babble")}
    assert picks and all(plain.extra("utt2noise")[u] == v for u, v in picks.items())


def test_random_gain_lowers_the_level(dirs, tmp_path):
    clean, noise = dirs
    quiet = mix_data_dirs(clean, noise, tmp_path / "q", snrs=[10.0], seed=2, gain_range=(-20.0, -20.0),
                          progress=False)
    loud = mix_data_dirs(clean, noise, tmp_path / "l", snrs=[10.0], seed=2, progress=False)
    for u in quiet.utts:
        ratio = np.std(read16(quiet.audio_path(u))) / np.std(read16(loud.audio_path(u)))
        assert ratio == pytest.approx(0.1, rel=0.02)


def test_bad_augmentation_options_are_one_line_errors(dirs, tmp_path):
    clean, noise = dirs
    with pytest.raises(AudioGanError, match="babble-share needs --babble"):
        mix_data_dirs(clean, noise, tmp_path / "x", snrs=[5.0], babble_share=0.3, progress=False)
    with pytest.raises(AudioGanError, match="bandlimit-share must lie in"):
        mix_data_dirs(clean, noise, tmp_path / "x", snrs=[5.0], bandlimit_share=1.5, progress=False)


def test_prepare_mix_cli_takes_the_augmentation_options(dirs, tmp_path, capsys):
    from audiogan.cli import main

    clean, noise = dirs
    out = tmp_path / "cli"
    rc = main(["prepare", "mix", "--clean", str(clean), "--noise", str(noise), "--snr-range=-5,20",
               "--gain-range=-10,0", "--babble", str(clean), "--babble-share", "0.5", "--bandlimit-share",
               "0.25", str(out)])
    assert rc == 0 and (out / "utt2band").is_file()
    assert main(["prepare", "mix", "--clean", str(clean), "--noise", str(noise), "--snr-range=20,-5",
                 str(tmp_path / "bad")]) == 2
    assert "LO <= HI" in capsys.readouterr().err
