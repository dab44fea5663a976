"""Built-in models: every one loads from the package, the default denoiser cleans a bundled example."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.cli import main
from audiogan.cli.export import INFERENCE_NETWORKS
from audiogan.models import load_for_inference
from audiogan.pretrained import BUILTINS, DEFAULTS, resolve_model

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tap_5db.wav"
MAX_BYTES = 25 * 1024 * 1024


def test_the_default_denoiser_and_converter_ship():
    assert DEFAULTS["denoise"] in BUILTINS, "the built-in denoiser is missing from audiogan/pretrained/"
    assert BUILTINS[DEFAULTS["denoise"]].task == "ctfgan"
    assert DEFAULTS["segan"] in BUILTINS, "the SEGAN built-in (the previous default) is missing"
    assert DEFAULTS["cyclegan_vc2"] in BUILTINS, "the built-in converter is missing from audiogan/pretrained/"


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_loads_and_has_a_card(name):
    b = BUILTINS[name]
    assert b.path.stat().st_size <= MAX_BYTES
    bundle = load_for_inference(b.path, tasks=(b.task,), names=INFERENCE_NETWORKS[b.task])
    params = [p for n in bundle.networks.values() for p in n.parameters()]
    assert params and all(p.dtype == torch.float32 for p in params), "fp16 storage must load as fp32"
    card = b.card()
    for needed in ("## Data", "## Recipe", "## Scores", "icence"):
        assert needed in card, f"model card of {name} lacks '{needed}'"


def _frame_db(x: np.ndarray, frame: int = 512) -> np.ndarray:
    n = len(x) // frame
    return 10 * np.log10(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)


def test_default_denoiser_cleans_a_bundled_example(tmp_path, capsys):
    out = tmp_path / "enhanced"
    assert main(["denoise", str(EXAMPLE), "-o", str(out), "--plot", "-q"]) == 0
    assert "built-in" in capsys.readouterr().err
    x, y = sf.read(EXAMPLE)[0], sf.read(out / EXAMPLE.name)[0]
    assert y.shape == x.shape and np.isfinite(y).all()
    fx, fy = _frame_db(x), _frame_db(y)
    quiet = fx <= np.percentile(fx, 20)  # pauses: the running tap alone
    loud = fx >= np.percentile(fx, 80)  # speech
    drop_quiet = np.mean(fx[quiet]) - np.mean(fy[quiet])
    drop_loud = np.mean(fx[loud]) - np.mean(fy[loud])  # speech frames lose their share of noise too
    assert drop_quiet > 8.0, f"noise in the pauses dropped by only {drop_quiet:.1f} dB"
    assert drop_quiet - drop_loud > 4.0, "pauses must drop clearly more than speech (a better SNR)"
    assert drop_loud < 8.0, f"speech lost {drop_loud:.1f} dB"
    assert (out / (EXAMPLE.name + ".png")).is_file()


def test_bf16_output_stays_within_30_db_of_fp32(tmp_path):
    clip = tmp_path / "clip.wav"
    x, sr = sf.read(EXAMPLE)
    sf.write(clip, x[: 2 * sr], sr)
    for flag in ("--bf16", "--fp32"):
        assert main(["denoise", str(clip), "--output", str(tmp_path / f"{flag[2:]}.wav"), flag, "-q"]) == 0
    a, b = sf.read(tmp_path / "fp32.wav")[0], sf.read(tmp_path / "bf16.wav")[0]
    snr = 10 * np.log10(np.sum(a**2) / np.sum((a - b) ** 2))
    assert snr >= 30.0, f"bf16 output is only {snr:.1f} dB from fp32"


def test_models_lists_the_builtins(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    default = [line for line in lines if line.startswith(f"builtin:{DEFAULTS['denoise']}")]
    assert default and "default for `audiogan denoise`" in default[0]
    segan = [line for line in lines if line.startswith(f"builtin:{DEFAULTS['segan']}")]
    assert segan and "default" not in segan[0]  # listed, but no longer the default
    assert out.count("default for `audiogan denoise`") == 1
    assert main(["models", DEFAULTS["segan"]]) == 0
    assert "## Scores" in capsys.readouterr().out
    assert main(["models", "nope"]) == 2


def test_resolve_model_names():
    assert resolve_model(None, "segan") == BUILTINS[DEFAULTS["segan"]].path
    assert resolve_model(f"builtin:{DEFAULTS['segan']}", "segan") == BUILTINS[DEFAULTS["segan"]].path
    assert resolve_model("exp/x.pt", "segan") == "exp/x.pt"
    from audiogan.errors import AudioGanError

    with pytest.raises(AudioGanError, match="is a segan model, not wavegan"):
        resolve_model(f"builtin:{DEFAULTS['segan']}", "wavegan")
    assert resolve_model(None, "cyclegan_vc2") == BUILTINS[DEFAULTS["cyclegan_vc2"]].path
    with pytest.raises(AudioGanError, match="no built-in toy model"):
        resolve_model(None, "toy")


def _voice(f0: float, seconds: float, sr: int = 16000) -> np.ndarray:
    """A synthetic vowel: harmonics of an F0 with a 5 Hz vibrato under two formant-like bumps."""
    t = np.arange(int(seconds * sr)) / sr
    f = f0 * (1 + 0.04 * np.sin(2 * np.pi * 5.0 * t))
    phase = 2 * np.pi * np.cumsum(f) / sr
    x = np.zeros_like(t)
    for k in range(1, int(7000 / f0)):
        fk = k * f0
        x += (np.exp(-0.5 * ((fk - 800) / 200) ** 2) + 0.5 * np.exp(-0.5 * ((fk - 2500) / 300) ** 2)
              + 0.05) * np.sin(k * phase) / np.sqrt(k)
    x *= np.minimum(1.0, 10 * t) * np.minimum(1.0, 10 * (seconds - t))
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def _median_f0(x: np.ndarray, sr: int) -> float:
    import pyworld

    f0, t = pyworld.dio(x.astype(np.float64), sr, f0_floor=60.0, f0_ceil=500.0)
    f0 = pyworld.stonemask(x.astype(np.float64), f0, t, sr)
    return float(np.median(f0[f0 > 0]))


def test_default_converter_turns_a_female_voice_male(tmp_path, capsys):
    src = tmp_path / "female.wav"
    sf.write(src, _voice(220.0, 1.5), 16000)
    out = tmp_path / "out"
    assert main(["convert", "--direction", "A2B", str(src), "-o", str(out), "--no-progress"]) == 0
    assert "(SF1 -> TM1)" in capsys.readouterr().err
    y, sr = sf.read(out / "female.wav")
    assert sr == 16000 and y.shape == (24000,) and np.isfinite(y).all() and np.abs(y).max() > 0.01
    ratio = _median_f0(y, sr) / 220.0  # SF1's F0 geometric mean is 219 Hz, TM1's 121 Hz
    assert 0.45 < ratio < 0.7, f"converted F0 is {ratio:.2f} x the input's"


def test_models_lists_the_converter_with_its_speakers(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert f"builtin:{DEFAULTS['cyclegan_vc2']}" in out and "default for `audiogan convert`" in out
    assert "SF1 (female, A)" in out and "TM1 (male, B)" in out


def test_loading_the_default_denoiser_stays_off_torchs_compiler_stack():
    # start-up of `audiogan denoise` is dominated by imports; building a compact network on the meta device
    # pulled in sympy and torch._dynamo (~0.7 s). Checked in a fresh interpreter, not timed.
    import subprocess
    import sys

    code = ("import sys; from audiogan.inference.denoise import load_enhancer; "
            "from audiogan.pretrained import DEFAULTS, resolve_model; "
            "load_enhancer(resolve_model('builtin:' + DEFAULTS['denoise'], 'ctfgan')); "
            "print(sorted(m for m in ('sympy', 'torch._dynamo') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
