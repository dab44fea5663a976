"""Streaming enhancement: seamless resampling, exact overlap-add, flat buffers, peak guard, outputs."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.errors import AudioGanError
from audiogan.inference.denoise import Enhancer, OverlapAdd, StreamResampler, denoise_file, plan_outputs
from audiogan.models.segan import SEGANGenerator


def identity(x):
    return x


@pytest.mark.parametrize(
    "rates", [(44100, 16000), (48000, 16000), (8000, 16000), (16000, 44100), (16000, 48000), (22050, 16000)]
)
def test_stream_resampler_has_no_seams(rates):
    # block-wise output equals the one-shot resampling of the whole signal, at any block size
    import soxr

    orig, new = rates
    x = np.random.default_rng(0).standard_normal((2, orig + 777)).astype(np.float32)
    whole = soxr.resample(x.T, orig, new, quality="HQ").T
    for block in (333, 4096):
        rs = StreamResampler(orig, new, channels=2)
        y = np.concatenate(
            [rs.push(x[:, i : i + block]) for i in range(0, x.shape[1], block)] + [rs.flush()], 1
        )
        assert y.shape == (2, -(-x.shape[1] * new // orig))
        np.testing.assert_allclose(y, whole[:, : y.shape[1]], atol=1e-4)


def test_stream_resampler_keeps_a_sine_exact_and_in_place():
    orig, new = 44100, 16000
    t = np.arange(orig) / orig
    x = np.sin(2 * np.pi * 3000 * t)[None].astype(np.float32)
    rs = StreamResampler(orig, new)
    y = np.concatenate([rs.push(x[:, i : i + 1000]) for i in range(0, orig, 1000)] + [rs.flush()], 1)[0]
    ref = np.sin(2 * np.pi * 3000 * np.arange(new) / new)
    err = y[800:-800] - ref[800:-800]  # no delay: the same phase as the exact signal
    assert 10 * np.log10(np.sum(ref[800:-800] ** 2) / np.sum(err**2)) > 60


@pytest.mark.parametrize("length", [1, 300, 1024, 1025, 5000])
@pytest.mark.parametrize("channels", [1, 2])
def test_identity_generator_reconstructs_input(length, channels):
    x = 0.3 * np.random.default_rng(length).standard_normal((channels, length)).astype(np.float32)
    enh = Enhancer(identity, window=1024, batch_size=3, preemph=0.95)
    y = enh.enhance(x)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=1e-5)


def test_overlap_add_buffers_stay_flat():
    ola = OverlapAdd(lambda t: t.numpy(), window=512, batch_size=4, channels=2)
    out = 0
    sizes = []
    for _ in range(200):
        out += ola.push(np.ones((2, 700), np.float32)).shape[1]
        sizes.append(ola.inp.shape[1] + ola.out.shape[1] + len(ola.pending) * 512)
    out += ola.flush().shape[1]
    assert out == 200 * 700
    assert max(sizes) < 6 * 512 + 700  # bounded by a few windows, whatever the stream length


def test_block_size_does_not_change_the_result():
    torch.manual_seed(0)
    g = SEGANGenerator([4, 8], 15, 4, z_dim=4, skip="alpha")
    x = 0.2 * np.random.default_rng(0).standard_normal((1, 9000)).astype(np.float32)
    outs = []
    for step in (500, 9000):
        enh = Enhancer(g, window=256, batch_size=5, seed=3)
        outs.append(
            np.concatenate(list(enh.stream((x[:, i : i + step] for i in range(0, 9000, step)), 16000, 1)), 1)
        )
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-6)


@pytest.mark.parametrize("sr", [8000, 44100, 48000])
def test_other_rates_pass_through_identity(tmp_path, sr):
    t = np.arange(int(sr * 1.3)) / sr
    x = np.stack([0.4 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 1000 * t)]).astype(np.float32)
    src, dst = tmp_path / "in.wav", tmp_path / "out" / "in.wav"
    sf.write(src, x.T, sr, subtype="FLOAT")
    denoise_file(Enhancer(identity, window=1024, batch_size=4, preemph=0.95), src, dst, block_seconds=0.3)
    y, sr2 = sf.read(dst, always_2d=True)
    assert sr2 == sr and y.shape == x.T.shape
    mid = slice(sr // 10, -sr // 10)  # band-limited resampling there and back: exact away from the edges
    np.testing.assert_allclose(y[mid], x.T[mid], atol=2e-3)


def test_peak_guard_scales_instead_of_clipping(tmp_path):
    t = np.arange(16000) / 16000
    x = (0.8 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(src, x, 16000, subtype="FLOAT")
    res = denoise_file(Enhancer(lambda v: 2 * v, window=1024, preemph=0.0), src, dst)
    y, _ = sf.read(dst)
    assert res["gain"] < 1 and np.abs(y).max() <= 0.999 + 1e-6
    np.testing.assert_allclose(y, 2 * x * (0.999 / 1.6), atol=2e-3)  # same waveform, one gain: no clipping


def test_plan_outputs(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    for name in ("a.wav", "sub/b.flac"):
        sf.write(tmp_path / "in" / name, np.zeros(100), 16000)
    jobs = plan_outputs([tmp_path / "in"], outdir=tmp_path / "out")
    assert [j.dst.relative_to(tmp_path / "out").as_posix() for j in jobs] == ["a.wav", "sub/b.flac"]
    with pytest.raises(AudioGanError, match="overwrite"):
        plan_outputs([tmp_path / "in"], outdir=tmp_path / "in")
    with pytest.raises(AudioGanError, match="exactly one"):
        plan_outputs([tmp_path / "in"], output=tmp_path / "x.wav")
    with pytest.raises(AudioGanError, match="overwrite"):
        plan_outputs([tmp_path / "in" / "a.wav"], output=tmp_path / "in" / "a.wav")


@pytest.mark.parametrize("window, overlap", [(16, 8), (16, 4), (16, 3), (16, 0), (64, 10)])
@pytest.mark.parametrize("n", [1, 15, 16, 17, 100])
def test_overlap_add_reconstructs_the_input_at_any_overlap(window, overlap, n):
    from audiogan.inference.denoise import OverlapAdd, crossfade_window

    w = crossfade_window(window, overlap)
    hop = window - overlap
    assert np.allclose(w[:overlap] + w[hop:], 1.0)  # adjacent windows sum to one in their cross-fade
    x = np.random.default_rng(n).standard_normal((2, n)).astype(np.float32)
    ola = OverlapAdd(lambda t: t.numpy(), window, 3, 2, overlap)
    parts = [ola.push(x[:, i : i + 7]) for i in range(0, n, 7)] + [ola.flush()]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), x, atol=1e-5)
    # fewer windows with a shorter cross-fade
    assert len(range(0, n + window, hop)) <= len(range(0, n + window, window // 2))


def test_half_window_overlap_is_the_periodic_hann():
    import torch

    from audiogan.inference.denoise import crossfade_window

    np.testing.assert_array_equal(crossfade_window(32, 16), torch.hann_window(32, periodic=True).numpy())


# -- training and inference agree on pre-emphasis --------------------------------------------------------
# Training pre-emphasises the cached windows (audiogan.data.segan.preemphasis, torchaudio, whole signal);
# inference pre-emphasises block by block and de-emphasises the generator's output (stateful filters in
# audiogan.inference.denoise). A mismatch would feed the generator a differently filtered signal than it
# was trained on, or leave the output tilted.
COEFFS = [0.0, 0.5, 0.95, 0.97]


def _speechy(n: int, seed: int = 0) -> np.ndarray:
    t = np.arange(n) / 16000
    x = sum(np.sin(2 * np.pi * k * 140 * t) / k for k in range(1, 30))
    x = x * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (0.2 * x + 0.02 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def _blocks(x: np.ndarray, sizes=(1, 700, 5, 1024, 3000)):
    i, k = 0, 0
    while i < x.shape[1]:
        n = sizes[k % len(sizes)]
        yield x[:, i : i + n]
        i, k = i + n, k + 1


@pytest.mark.parametrize("coeff", COEFFS)
def test_inference_preemphasis_equals_training_preemphasis(coeff):
    from audiogan.data.segan import preemphasis
    from audiogan.dsp import Preemphasis as _Preemphasis

    x = np.stack([_speechy(9000), _speechy(9000, seed=1)])
    trained = preemphasis(x, coeff)
    pre = _Preemphasis(coeff, channels=2)
    streamed = np.concatenate([pre(b) for b in _blocks(x)], axis=1)  # block edges must not matter
    assert streamed.shape == trained.shape and streamed.dtype == np.float32
    np.testing.assert_allclose(streamed, trained, atol=1e-6, rtol=0)
    if coeff:  # and both are y[n] = x[n] - c x[n-1] with x[-1] = 0
        np.testing.assert_allclose(trained[:, 1:], x[:, 1:] - coeff * x[:, :-1], atol=1e-6)
        np.testing.assert_allclose(trained[:, 0], x[:, 0], atol=1e-7)


@pytest.mark.parametrize("coeff", COEFFS)
def test_inference_deemphasis_inverts_training_preemphasis(coeff):
    from audiogan.data.segan import deemphasis, preemphasis
    from audiogan.dsp import Deemphasis as _Deemphasis

    x = np.stack([_speechy(9000), 1.5 * _speechy(9000, seed=2)])  # peaks above 1: no clamping either
    emphasised = preemphasis(x, coeff)
    de = _Deemphasis(coeff, channels=2)
    back = np.concatenate([de(b) for b in _blocks(emphasised)], axis=1)
    np.testing.assert_allclose(back, x, atol=1e-5, rtol=0)
    np.testing.assert_allclose(back, deemphasis(emphasised, coeff), atol=1e-5, rtol=0)  # training's inverse


@pytest.mark.parametrize("coeff", [0.95, 0.8])
def test_the_generator_sees_at_inference_the_windows_it_was_trained_on(tmp_path, coeff):
    from audiogan.data.segan import PairedWindows, build_cache

    x = _speechy(6000)
    (tmp_path / "d").mkdir()
    sf.write(tmp_path / "noisy.wav", x, 16000, subtype="FLOAT")
    sf.write(tmp_path / "clean.wav", 0.5 * x, 16000, subtype="FLOAT")
    (tmp_path / "d" / "wav.scp").write_text(f"u1 {tmp_path / 'noisy.wav'}\n")
    (tmp_path / "d" / "spk1.scp").write_text(f"u1 {tmp_path / 'clean.wav'}\n")
    windows = PairedWindows(build_cache(tmp_path / "d", tmp_path / "cache", window=1024, stride=0.5,
                                        preemph=coeff, progress=False))
    trained = {int(s): windows[i][0].numpy() for i, s in enumerate(windows.starts)}  # start -> noisy window

    seen = []

    def spy(frames):
        seen.extend(frames[:, 0].numpy().copy())
        return frames

    enh = Enhancer(spy, window=1024, batch_size=3, preemph=coeff)
    y = np.concatenate(list(enh.stream(_blocks(x[None]), 16000, 1)), axis=1)[0]
    # frame j starts half a window before signal index 512 (j - 1): the first is half zero padding
    inside = {512 * (j - 1): f for j, f in enumerate(seen) if j >= 1 and 512 * (j - 1) + 1024 <= len(x)}
    common = sorted(set(inside) & set(trained))
    assert len(common) >= 9
    for start in common:
        np.testing.assert_allclose(inside[start], trained[start], atol=1e-6, rtol=0)
    np.testing.assert_allclose(y, x, atol=1e-5)  # and de-emphasis brings an identity model's output back


# -- ctfgan: the compact spectral enhancer through the same streaming pipeline -------------------------------
CTF_TINY = {"channels": 4, "hidden": 4, "dilations": [1, 2], "rnn_layers": 1}


def _ctfgan_checkpoint(tmp_path, window: int = 8000):
    """A ctfgan checkpoint of a tiny, freshly initialised generator (what `audiogan train ctfgan` writes)."""
    from audiogan import checkpoint as ckpt
    from audiogan.models.registry import build
    from audiogan.tasks.ctfgan import CTFGANTask

    cfg = CTFGANTask.default_config()
    cfg["model"].update(CTF_TINY)
    torch.manual_seed(0)
    g = build("ctfgan", cfg)["generator"]
    state = {"format": ckpt.FORMAT, "task": "ctfgan", "config": cfg, "step": 0,
             "networks": {"generator": g.state_dict()},
             "extra": {"sample_rate": 16000, "n_fft": 512, "hop": 256, "window": window}}
    return ckpt.save_atomic(state, tmp_path / "ctfgan.pt"), g.eval()


def test_ctfgan_streamed_equals_whole_file_and_channels_are_independent(tmp_path):
    from audiogan.inference.denoise import load_enhancer

    path, _ = _ctfgan_checkpoint(tmp_path)
    x = np.stack([_speechy(20000, 1), _speechy(20000, 2)]).astype(np.float32)
    enh = load_enhancer(path, batch_size=3, overlap=None)
    assert enh.window == 8000 and enh.overlap == 1000 and enh.preemph == 0.0  # ctfgan's defaults
    whole = enh.enhance(x)  # 10 s blocks: one block
    streamed = np.concatenate(list(enh.stream(_blocks(x), 16000, 2)), axis=1)
    assert whole.shape == streamed.shape == x.shape
    np.testing.assert_allclose(streamed, whole, atol=1e-5)
    np.testing.assert_allclose(enh.enhance(x[1]), whole[1], atol=1e-5)  # each channel on its own
    assert np.abs(whole - x).max() > 1e-3  # the (untrained) model did change the signal


@pytest.mark.parametrize("sr, channels", [(8000, 1), (44100, 2)])
def test_ctfgan_denoise_file_any_rate_and_channels(tmp_path, sr, channels):
    from audiogan.inference.denoise import load_enhancer

    path, _ = _ctfgan_checkpoint(tmp_path)
    n = int(sr * 1.7)
    x = 0.1 * np.random.default_rng(sr).standard_normal((n, channels)).astype(np.float32)
    src, dst = tmp_path / "in.wav", tmp_path / "out" / "in.wav"
    sf.write(src, x, sr, subtype="PCM_16")
    denoise_file(load_enhancer(path, overlap=None), src, dst, block_seconds=0.37)
    info = sf.info(dst)
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (sr, channels, n, "PCM_16")


def test_ctfgan_loader_and_family_check(tmp_path):
    """The typed loader reads the window; the SEGAN loader refuses a ctfgan checkpoint in one line."""
    from audiogan.errors import CheckpointError
    from audiogan.inference.loading import load_ctfgan_model

    path, _ = _ctfgan_checkpoint(tmp_path)
    assert load_ctfgan_model(path).window == 8000
    with pytest.raises(CheckpointError, match="'ctfgan' checkpoint"):
        from audiogan.inference.loading import load_segan_model

        load_segan_model(path)


def test_ctfgan_fp16_export_enhances_like_the_checkpoint(tmp_path):
    """`audiogan export`'s fp16 copy (what a built-in ships) loads as fp32 and stays close to the original."""
    from audiogan import checkpoint as ckpt
    from audiogan.inference.denoise import load_enhancer
    from audiogan.models.registry import INFERENCE_NETWORKS

    path, _ = _ctfgan_checkpoint(tmp_path)
    lean = ckpt.export_for_inference(path, tmp_path / "lean.pt", INFERENCE_NETWORKS["ctfgan"])
    x = _speechy(12000, 4)
    a = load_enhancer(path, overlap=None).enhance(x)
    b = load_enhancer(lean, overlap=None).enhance(x)
    assert 10 * np.log10(np.sum(a**2) / np.sum((a - b) ** 2)) > 30
