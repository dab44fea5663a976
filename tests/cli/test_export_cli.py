"""`audiogan export`: an inference-only fp16 copy that loads and gives the same output."""

from __future__ import annotations

import torch

from audiogan.cli import main
from audiogan.models import load_for_inference
from audiogan.train.checkpoint import load


def test_export_round_trip(tmp_path, ckpt):
    out = tmp_path / "lean.pt"
    assert main(["export", str(ckpt), str(out)]) == 0
    state = load(out)
    assert set(state["networks"]) == {"generator"} and not state["ema"] and "optimizers" not in state
    weights = state["networks"]["generator"].values()
    assert all(v.dtype == torch.float16 for v in weights if v.is_floating_point())
    full = load_for_inference(ckpt, tasks=("segan",), names=("generator",)).networks["generator"]
    lean = load_for_inference(out, tasks=("segan",), names=("generator",)).networks["generator"]
    x = torch.randn(2, 1, 1024, generator=torch.Generator().manual_seed(0))
    z = full.sample_z(2, 1024 // full.hop, torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(lean(x, z), full(x, z), atol=2e-3, rtol=0)
    full_file = sorted((ckpt / "checkpoints").glob("checkpoint-*.pt"))[-1]
    assert out.stat().st_size < 0.5 * full_file.stat().st_size


def test_export_refuses_to_overwrite(tmp_path, ckpt, capsys):
    out = tmp_path / "lean.pt"
    assert main(["export", str(ckpt), str(out)]) == 0
    assert main(["export", str(ckpt), str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["export", str(ckpt), str(out), "--force"]) == 0
    assert main(["export", str(ckpt), str(tmp_path / "x.bin")]) == 2
    assert main(["export", str(tmp_path / "missing"), str(tmp_path / "y.pt")]) == 2


def test_export_writes_the_training_facts_into_the_card_and_keeps_the_authors_text(tmp_path, ckpt):
    out = tmp_path / "lean.pt"
    card = out.with_suffix(".md")
    card.write_text("# my model\n\nHand-written scores.\n")
    assert main(["export", str(ckpt), str(out)]) == 0
    text = card.read_text()
    usage = load(out)["usage"]
    assert usage["cpu_seconds"] > 0 and usage["runs"] >= 1
    assert text.startswith("# my model\n\nHand-written scores.\n")
    assert "## Training facts" in text and f"total CPU time: {usage['cpu_seconds'] / 3600:.2f} h" in text
    assert main(["export", str(ckpt), str(out), "--force"]) == 0  # refreshed, not repeated
    assert card.read_text().count("## Training facts") == 1
