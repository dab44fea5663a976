"""audiogan.data.clips: clip sources (data dirs with segments/labels/speakers, labelled folders), loading,
fit_length, and ClipDataset's reproducible items and augmentation (gain, zero-fill shift, white noise at a
random SNR), each checked against what it claims to do."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.data.clips import (
    Clip,
    ClipDataset,
    add_white_noise,
    fit_length,
    list_clips,
    load_clip,
    load_clips_array,
    read_clip,
    shift_zero_fill,
    subset,
)
from audiogan.errors import DataDirError

SR = 16000
LENGTH = 4096


def tone(n: int, f: float = 440.0, amp: float = 0.3, sr: int = SR) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * f * np.arange(n) / sr)).astype(np.float32)


@pytest.fixture()
def folder(tmp_path) -> Path:
    """words/{yes,no}/*.wav (3000 samples: shorter than LENGTH) and one unlabelled file at the top."""
    root = tmp_path / "words"
    for label, f in (("yes", 300.0), ("no", 900.0)):
        (root / label).mkdir(parents=True)
        for i in range(3):
            sf.write(root / label / f"c{i}.wav", tone(3000, f * (1 + 0.1 * i)), SR)
    sf.write(root / "loose.wav", tone(3000), SR)
    return root


def labelled(folder: Path) -> list[Clip]:
    return [c for c in list_clips(folder) if c.label]


def measured_snr(clean: np.ndarray, noisy: np.ndarray) -> float:
    clean, noisy = clean.astype(np.float64), noisy.astype(np.float64)
    return 10 * math.log10(np.mean(clean**2) / np.mean((noisy - clean) ** 2))


# -- sources ---------------------------------------------------------------------------------------------
def test_a_folder_labels_clips_by_their_parent_folder(folder):
    clips = list_clips(folder)
    assert [c.utt for c in clips] == ["loose", "no_c0", "no_c1", "no_c2", "yes_c0", "yes_c1", "yes_c2"]
    assert [c.label for c in clips] == [None, "no", "no", "no", "yes", "yes", "yes"]
    assert all(c.path is not None and c.path.is_file() and c.speaker is None for c in clips)


def test_a_data_dir_gives_labels_speakers_and_segment_cuts(tmp_path):
    ramp = (np.arange(SR, dtype=np.float32) / SR).astype(np.float32)  # 1 s, value = time in seconds
    sf.write(tmp_path / "rec.wav", ramp, SR, subtype="FLOAT")
    sf.write(tmp_path / "st.wav", np.stack([ramp, np.zeros_like(ramp)], axis=1), SR, subtype="FLOAT")
    d = tmp_path / "d"
    d.mkdir()
    (d / "wav.scp").write_text(f"rec {tmp_path / 'rec.wav'}\nst {tmp_path / 'st.wav'}\n")
    (d / "segments").write_text("amy-1 rec 0.25 0.5\namy-2 rec 0.5 -1\nbob-1 st 0 0.125\n")
    (d / "utt2spk").write_text("amy-1 amy\namy-2 amy\nbob-1 bob\n")
    (d / "utt2label").write_text("amy-1 up\nbob-1 down\n")
    clips = list_clips(d)
    assert [(c.utt, c.speaker, c.label) for c in clips] == [
        ("amy-1", "amy", "up"), ("amy-2", "amy", None), ("bob-1", "bob", "down")
    ]
    a1 = read_clip(clips[0], SR)
    assert a1.shape == (1, SR // 4) and a1[0, 0] == pytest.approx(0.25) and a1[0, -1] < 0.5
    assert read_clip(clips[1], SR).shape == (1, SR // 2)  # end -1: to the end of the recording
    b1 = read_clip(clips[2], SR)
    np.testing.assert_allclose(b1[0], ramp[: SR // 8] / 2, atol=1e-6)  # stereo -> the channel mean
    assert read_clip(clips[0], 8000).shape == (1, 8000 // 4)  # resampled to the asked rate


def test_bad_sources_are_data_dir_errors(tmp_path, folder):
    with pytest.raises(DataDirError, match="no such data dir or folder"):
        list_clips(tmp_path / "nope")
    with pytest.raises(DataDirError, match="expected a data dir"):
        list_clips(folder / "loose.wav")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "wav.scp").write_text("")
    with pytest.raises(DataDirError, match="holds no utterances"):
        list_clips(tmp_path / "d")
    with pytest.raises(DataDirError, match="no clips"):
        ClipDataset([], SR, LENGTH)


# -- fixed length ----------------------------------------------------------------------------------------
def test_fit_length_pads_symmetrically_crops_in_the_centre_or_at_random():
    x = np.arange(1, 11, dtype=np.float32)[None].repeat(2, 0)  # [2, 10]
    padded = fit_length(x, 15)
    assert padded.shape == (2, 15) and padded[0].tolist() == [0, 0, *range(1, 11), 0, 0, 0]
    assert fit_length(x, 4)[1].tolist() == [4, 5, 6, 7]  # centre window without an RNG
    assert fit_length(x, 10) is x
    starts = set()
    for seed in range(60):
        a = fit_length(x, 4, np.random.default_rng(seed))
        b = fit_length(x, 4, np.random.default_rng(seed))
        assert np.array_equal(a, b) and np.array_equal(a[0], a[1])  # same window on every channel
        start = int(a[0, 0]) - 1
        assert a[0].tolist() == list(range(start + 1, start + 5))
        starts.add(start)
    assert starts == set(range(7))  # every window position, ends included


def test_subset_spreads_over_the_list_and_keeps_both_ends():
    items = list(range(101))
    assert subset(items, 5) == [0, 25, 50, 75, 100]
    assert subset(items, 0) is items and subset(items, 500) is items


def test_load_clip_scales_down_loud_clips_and_normalizes_on_request(tmp_path):
    sf.write(tmp_path / "loud.wav", 2.0 * tone(1000, amp=1.0), SR, subtype="FLOAT")
    sf.write(tmp_path / "quiet.wav", tone(1000, amp=0.1), SR, subtype="FLOAT")
    loud = load_clip(tmp_path / "loud.wav", SR, 1000)
    assert loud.dtype == np.float32 and loud.shape == (1, 1000) and np.abs(loud).max() == pytest.approx(1.0)
    assert np.abs(load_clip(tmp_path / "quiet.wav", SR, 1000)).max() == pytest.approx(0.1, rel=1e-3)
    assert np.abs(load_clip(tmp_path / "quiet.wav", SR, 1000, normalize=True)).max() == pytest.approx(1.0)
    arr = load_clips_array([Clip("q", tmp_path / "quiet.wav", None)] * 3, SR, 512)
    assert arr.shape == (3, 1, 512) and load_clips_array([], SR, 512).shape == (0, 1, 512)


# -- augmentation primitives -----------------------------------------------------------------------------
def test_shift_zero_fill_delays_or_advances_and_fills_with_zeros():
    x = np.arange(1, 7, dtype=np.float32)[None]
    assert shift_zero_fill(x, 2).tolist() == [[0, 0, 1, 2, 3, 4]]
    assert shift_zero_fill(x, -2).tolist() == [[3, 4, 5, 6, 0, 0]]
    assert shift_zero_fill(x, 0) is x
    assert not shift_zero_fill(x, 6).any() and not shift_zero_fill(x, -9).any()
    assert x.tolist() == [[1, 2, 3, 4, 5, 6]]  # the input is left alone


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 25.0])
def test_white_noise_has_the_asked_snr(snr_db):
    x = tone(SR, amp=0.2)[None]
    y = add_white_noise(x, snr_db, np.random.default_rng(0))
    assert y.dtype == np.float32 and y.shape == x.shape
    assert measured_snr(x, y) == pytest.approx(snr_db, abs=0.1)
    noise = (y - x)[0]
    assert abs(np.corrcoef(noise[:-1], noise[1:])[0, 1]) < 0.05  # white: no correlation between neighbours
    assert np.array_equal(y, add_white_noise(x, snr_db, np.random.default_rng(0)))


def test_white_noise_leaves_silence_silent_and_stays_in_range():
    silent = np.zeros((1, 100), np.float32)
    assert add_white_noise(silent, 10.0, np.random.default_rng(0)) is silent
    loud = np.full((1, 1000), 0.99, np.float32)
    assert np.abs(add_white_noise(loud, -10.0, np.random.default_rng(0))).max() <= 1.0


# -- ClipDataset -----------------------------------------------------------------------------------------
def test_items_are_reproducible_per_key_and_labelled(folder):
    clips = list_clips(folder)
    ds = ClipDataset(clips, SR, LENGTH, labels=["no", "yes"], gain_db=6.0, shift=200, noise_snr=(5, 20))
    assert len(ds) == 7
    a, b, c = ds[(3, 11)], ds[(3, 11)], ds[(3, 12)]
    assert torch.equal(a["audio"], b["audio"]) and not torch.equal(a["audio"], c["audio"])
    assert a["audio"].shape == (1, LENGTH) and a["audio"].dtype == torch.float32
    assert torch.equal(ds[4]["audio"], ds[4]["audio"])  # plain index (evaluation): a fixed RNG
    assert [int(ds[i]["label"]) for i in range(7)] == [-1, 0, 0, 0, 1, 1, 1]  # unlabelled: -1
    assert int(ClipDataset(clips, SR, LENGTH, labels=["yes"])[1]["label"]) == -1  # a label it does not know


def test_without_augmentation_an_item_is_the_loaded_clip(folder):
    clips = labelled(folder)
    ds = ClipDataset(clips, SR, LENGTH)
    for i in range(len(clips)):
        np.testing.assert_array_equal(ds[(i, 99)]["audio"].numpy(), load_clip(clips[i], SR, LENGTH))
    long = Clip("long", folder / "long.wav", None)
    sf.write(long.path, tone(3 * LENGTH), SR)
    centre = ClipDataset([long], SR, LENGTH, random_crop=False)
    assert torch.equal(centre[(0, 1)]["audio"], centre[(0, 2)]["audio"])  # centre crop, whatever the key
    cropped = ClipDataset([long], SR, LENGTH)
    assert not torch.equal(cropped[(0, 1)]["audio"], cropped[(0, 2)]["audio"])


def test_gain_is_a_random_attenuation_of_at_most_gain_db(folder):
    clips = labelled(folder)
    clean = load_clip(clips[0], SR, LENGTH)
    ds = ClipDataset(clips, SR, LENGTH, gain_db=6.0)
    gains_db = []
    for seed in range(40):
        x = ds[(0, seed)]["audio"].numpy()
        ratio = x[clean != 0] / clean[clean != 0]
        assert np.allclose(ratio, ratio[0], rtol=1e-5)  # one gain for the whole clip
        gains_db.append(20 * math.log10(ratio[0]))
    assert -6.0 - 1e-4 <= min(gains_db) and max(gains_db) <= 1e-4
    assert max(gains_db) - min(gains_db) > 3.0  # spread over the range


def test_shift_moves_the_clip_by_up_to_shift_samples_either_way(folder):
    clips = labelled(folder)
    clean = load_clip(clips[0], SR, LENGTH)
    ds = ClipDataset(clips, SR, LENGTH, shift=300)
    shifts = []
    for seed in range(60):
        x = ds[(0, seed)]["audio"].numpy()
        k = next(k for k in range(-300, 301) if np.array_equal(x, shift_zero_fill(clean, k)))
        shifts.append(k)
    assert min(shifts) < -100 and max(shifts) > 100 and len(set(shifts)) > 30


@pytest.mark.parametrize("prob", [0.0, 0.3, 1.0])
def test_noise_reaches_noise_prob_of_the_items_at_an_snr_in_range(folder, prob):
    clips = labelled(folder)
    clean = load_clip(clips[2], SR, LENGTH)
    ds = ClipDataset(clips, SR, LENGTH, noise_snr=(5.0, 15.0), noise_prob=prob)
    snrs = []
    for seed in range(200):
        x = ds[(2, seed)]["audio"].numpy()
        if not np.array_equal(x, clean):
            snrs.append(measured_snr(clean, x))
    assert len(snrs) / 200 == pytest.approx(prob, abs=0.08)
    if snrs:
        assert 5.0 - 0.5 < min(snrs) and max(snrs) < 15.0 + 0.5
    if prob == 1.0:
        assert min(snrs) < 7.0 and max(snrs) > 13.0  # drawn across [lo, hi], not one value
