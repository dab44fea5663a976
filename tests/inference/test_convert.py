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


def _star_model():
    """A hand-built StarGAN-VC2 model (random tiny generator) with three speakers' statistics."""
    from pathlib import Path

    from audiogan.features import world
    from audiogan.inference.loading import StarConverterModel
    from audiogan.models.stargan_vc2 import StarGenerator2to1to2D

    torch.manual_seed(0)
    gen = StarGenerator2to1to2D(3, 24, channels=4, down_channels=4, res_channels=4, res_hidden_channels=8,
                                num_residual=1).eval()
    stats = {name: world.SpeakerStats(np.log(f0), 0.1, np.zeros(24), np.ones(24))
             for name, f0 in (("lo", 100.0), ("mid", 150.0), ("hi", 200.0))}
    return StarConverterModel(generator=gen, world_config=world.WorldConfig(f0_method="dio", coded_dim=24),
                              speakers=list(stats), stats=stats, path=Path("star.pt"), step=0, config={},
                              extra={})


def test_a_stargan_direction_is_its_generator_with_the_pair_code() -> None:
    model = _star_model()
    conv = VoiceConverter.from_star_model(model, "hi", "mid")
    assert conv.speakers == ("hi", "mid") and conv.src is model.stats["hi"] and conv.tgt is model.stats["mid"]
    coded = np.random.default_rng(0).standard_normal((40, 24))
    x = torch.from_numpy(coded.T.astype(np.float32))[None]
    with torch.no_grad():
        direct = model.generator(x, torch.tensor([2]), torch.tensor([1]))[0].T.double().numpy()
    np.testing.assert_allclose(conv.convert_coded_sp(coded), direct, atol=1e-5)  # unit statistics
    other = VoiceConverter.from_star_model(model, "lo", "mid").convert_coded_sp(coded)
    assert np.abs(other - direct).max() > 1e-4  # the source half of the code matters too


def test_stargan_speaker_errors_list_the_speakers() -> None:
    from audiogan.errors import AudioGanError

    listed = r"unknown target speaker 'TM1' \(this model's speakers: lo, mid, hi\)"
    with pytest.raises(AudioGanError, match=listed):
        VoiceConverter.from_star_model(_star_model(), "lo", "TM1")


@pytest.mark.parametrize("kwargs, message", [
    (dict(direction="A2B", source="SF1", target="TM1"), "either --direction or --source/--target"),
    (dict(source="SF1"), "--source and --target go together"),
])
def test_direction_and_speaker_names_are_checked_before_loading(tmp_path, kwargs, message) -> None:
    from audiogan.errors import AudioGanError
    from audiogan.inference.convert import load_voice_converter

    with pytest.raises(AudioGanError, match=message):
        load_voice_converter(tmp_path / "absent.pt", **kwargs)


def test_cyclegan_builtin_takes_its_speaker_names() -> None:
    from audiogan.inference.convert import load_voice_converter
    from audiogan.inference.loading import model_speakers

    builtin = resolve_model(None, "cyclegan_vc2")
    assert model_speakers(builtin) == ["SF1", "TM1"]
    assert load_voice_converter(builtin, source="TM1", target="SF1").speakers == ("TM1", "SF1")
