"""audiogan.train.checkpoint (the checkpoint file format): save/load round trip, the SHA-256 digest,
refused files, rotation and the ``latest`` pointer, falling back past corrupt files, resolving experiment
folders, inference-only exports. Plain state dicts, no trainer (tests/train/test_trainer.py covers that)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
import torch

from audiogan.errors import CheckpointError
from audiogan.models import load_for_inference
from audiogan.tasks.toy import ToyGANTask
from audiogan.train import checkpoint as ckpt


def a_state(step: int = 1, **extra) -> dict:
    """A small checkpoint state with every kind of value a real one holds."""
    g = torch.Generator().manual_seed(step)
    return {
        "format": ckpt.FORMAT,
        "version": 1,
        "task": "demo",
        "step": step,
        "config": {"model": {"layers": [4, 8], "norm": "batch"}, "trainer": {"lr": 2e-4, "amp": False}},
        "networks": {
            "generator": {
                "w": torch.randn(3, 4, generator=g),
                "b": torch.zeros(4, dtype=torch.bfloat16),
                "n": torch.tensor(7, dtype=torch.int64),
                "empty": torch.zeros(0, 2),
            }
        },
        "rng": [torch.arange(5, dtype=torch.uint8)],
        "best": None,
        "extra": {"labels": ("a", "b"), "mask": torch.tensor([True, False])},
        **extra,
    }


def assert_same(a, b) -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b


def checkpoint_files(outdir: Path) -> list[str]:
    return [p.name for p in ckpt.list_checkpoints(outdir)]


# -- round trip and digest ---------------------------------------------------------------------------------
def test_save_load_round_trip_keeps_every_value_and_dtype(tmp_path):
    state = a_state()
    path = ckpt.save_atomic(state, tmp_path / "c.pt")
    back = ckpt.load(path)
    assert back.pop("sha256") == ckpt.state_digest(state)
    assert_same(state, back)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]  # no temporary file left behind
    # inference needs nothing but this file and plain torch: tensors and plain containers only
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == ckpt.FORMAT and raw["step"] == 1
    mapped = ckpt.load(path, mmap=True)
    assert torch.equal(mapped["networks"]["generator"]["w"], state["networks"]["generator"]["w"])


def test_saved_file_gets_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = ckpt.save_atomic(a_state(), tmp_path / "c.pt")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644  # not a temporary file's 0600


def test_digest_sees_values_dtypes_shapes_and_keys_but_not_dict_order():
    base = a_state()
    digest = ckpt.state_digest(base)
    assert digest == ckpt.state_digest(a_state()) and len(digest) == 64
    reordered = dict(reversed(list(base.items())))
    assert ckpt.state_digest(reordered) == digest
    assert ckpt.state_digest({**base, "sha256": "anything"}) == digest  # its own entry is left out

    def changed(edit) -> str:
        s = a_state()
        edit(s)
        return ckpt.state_digest(s)

    gen = lambda s: s["networks"]["generator"]  # noqa: E731
    edits = {
        "one value": lambda s: gen(s)["w"].view(-1)[5].add_(1e-7),
        "dtype, same bytes": lambda s: gen(s).update(w=gen(s)["w"].view(torch.int32)),
        "shape, same bytes": lambda s: gen(s).update(w=gen(s)["w"].reshape(4, 3)),
        "plain value": lambda s: s["config"]["trainer"].update(lr=2e-3),
        "renamed key": lambda s: gen(s).update(w2=gen(s).pop("w")),
        "list to tuple": lambda s: s.update(rng=tuple(s["rng"])),
        "step": lambda s: s.update(step=2),
    }
    digests = {name: changed(edit) for name, edit in edits.items()}
    assert digest not in digests.values()
    assert len(set(digests.values())) == len(edits)


# -- refused files -----------------------------------------------------------------------------------------
def test_content_that_does_not_match_its_digest_is_refused(tmp_path):
    path = ckpt.save_atomic(a_state(), tmp_path / "c.pt")
    state = torch.load(path, weights_only=True)
    state["networks"]["generator"]["w"][0, 0] += 1.0  # changed after the digest was taken
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="corrupt checkpoint .*SHA-256") as e:
        ckpt.load(path)
    assert str(e.value).startswith(f"{path}: ")


def test_a_file_without_a_digest_still_loads(tmp_path):
    torch.save(a_state(), tmp_path / "old.pt")  # written before digests existed
    assert ckpt.load(tmp_path / "old.pt")["step"] == 1


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no such checkpoint"),
        (lambda p: p.write_bytes(b"not a checkpoint"), "not a readable checkpoint"),
        (lambda p: p.write_bytes(ckpt.save_atomic(a_state(), p).read_bytes()[:600]), "not a readable"),
        (lambda p: torch.save({"weights": torch.ones(2)}, p), "not an audiogan checkpoint"),
        (lambda p: torch.save([1, 2, 3], p), "not an audiogan checkpoint"),
    ],
    ids=["missing", "not-a-zip", "truncated", "foreign-dict", "foreign-list"],
)
def test_unreadable_and_foreign_files_are_one_clear_error(tmp_path, make, message):
    path = tmp_path / "c.pt"
    make(path)
    with pytest.raises(CheckpointError, match=message) as e:
        ckpt.load(path)
    assert str(e.value).startswith(f"{path}: ") and "\n" not in str(e.value)


def test_a_pickled_object_is_not_executed(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path = tmp_path / "c.pt"
    torch.save({"format": ckpt.FORMAT, "step": 1, "extra": Evil()}, path)
    assert zipfile.is_zipfile(path)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        ckpt.load(path)
    assert not (tmp_path / "pwned").exists()


# -- rotation, the latest pointer, falling back ------------------------------------------------------------
def test_rotation_keeps_the_last_n_in_step_order_and_points_latest_at_the_newest(tmp_path):
    for step in (8, 9, 10, 11):
        path = ckpt.write(tmp_path, a_state(step), keep_last=2)
    assert path == tmp_path / "checkpoints" / "checkpoint-11.pt"
    assert checkpoint_files(tmp_path) == ["checkpoint-10.pt", "checkpoint-11.pt"]  # 10 is newer than 9
    assert (tmp_path / "checkpoints" / "latest").read_text() == "checkpoint-11.pt\n"
    assert ckpt.load_latest(tmp_path)["step"] == 11
    for step in (12, 13):
        ckpt.write(tmp_path, a_state(step), keep_last=0)  # 0: keep everything
    assert checkpoint_files(tmp_path) == [f"checkpoint-{s}.pt" for s in (10, 11, 12, 13)]


def test_other_files_in_the_folder_are_not_checkpoints(tmp_path):
    ckpt.write(tmp_path, a_state(3), keep_last=1)
    d = tmp_path / "checkpoints"
    for name in ("checkpoint-x.pt", "checkpoint-4.pt.tmp", "notes.txt", "best.pt"):
        (d / name).write_text("x")
    ckpt.write(tmp_path, a_state(5), keep_last=1)
    assert checkpoint_files(tmp_path) == ["checkpoint-5.pt"]
    assert (d / "notes.txt").exists() and (d / "checkpoint-x.pt").exists()  # rotation leaves them alone


def test_no_checkpoints_means_a_fresh_start(tmp_path):
    assert ckpt.load_latest(tmp_path) is None
    (tmp_path / "checkpoints").mkdir()
    assert ckpt.load_latest(tmp_path) is None and ckpt.list_checkpoints(tmp_path) == []


def test_a_corrupt_newest_checkpoint_falls_back_to_the_newest_readable_one(tmp_path, capsys):
    for step in (2, 4, 6):
        ckpt.write(tmp_path, a_state(step), keep_last=3)
    d = tmp_path / "checkpoints"
    (d / "checkpoint-6.pt").write_bytes(b"\0" * 100)  # e.g. a copy cut short
    assert ckpt.load_latest(tmp_path)["step"] == 4
    err = capsys.readouterr().err
    assert "checkpoint-6.pt" in err and "falling back to an earlier checkpoint" in err
    assert (d / "checkpoint-6.pt").exists()  # nothing is deleted on the way


def test_the_latest_pointer_is_tried_first(tmp_path):
    for step in (1, 2, 3):
        ckpt.write(tmp_path, a_state(step), keep_last=0)
    (tmp_path / "checkpoints" / "latest").write_text("checkpoint-2.pt\n")
    assert ckpt.load_latest(tmp_path)["step"] == 2
    (tmp_path / "checkpoints" / "latest").write_text("checkpoint-99.pt\n")  # stale: names a deleted file
    assert ckpt.load_latest(tmp_path)["step"] == 3


def test_when_none_is_readable_it_is_an_error_unless_they_are_set_aside(tmp_path, capsys):
    for step in (1, 2):
        ckpt.write(tmp_path, a_state(step), keep_last=0)
    d = tmp_path / "checkpoints"
    for p in ckpt.list_checkpoints(tmp_path):
        p.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="none of its 2 checkpoint.* is readable; pass --restart"):
        ckpt.load_latest(tmp_path)
    assert checkpoint_files(tmp_path) == ["checkpoint-1.pt", "checkpoint-2.pt"]  # an error changes nothing
    assert ckpt.load_latest(tmp_path, set_aside_unreadable=True) is None
    assert ckpt.list_checkpoints(tmp_path) == [] and not (d / "latest").exists()
    assert sorted(p.name for p in (d / "unreadable").iterdir()) == ["checkpoint-1.pt", "checkpoint-2.pt"]
    assert "2 unreadable checkpoint(s) moved to" in capsys.readouterr().err


# -- resolving and copying ---------------------------------------------------------------------------------
def test_resolve_a_file_an_experiment_or_its_checkpoints_folder(tmp_path):
    for step in (1, 2):
        ckpt.write(tmp_path, a_state(step), keep_last=0)
    newest = tmp_path / "checkpoints" / "checkpoint-2.pt"
    assert ckpt.resolve(tmp_path) == newest and ckpt.resolve(tmp_path / "checkpoints") == newest
    best = ckpt.copy_as(tmp_path / "checkpoints" / "checkpoint-1.pt", tmp_path / "best.pt")
    assert best.read_bytes() == (tmp_path / "checkpoints" / "checkpoint-1.pt").read_bytes()
    assert ckpt.resolve(tmp_path) == best and ckpt.resolve(tmp_path / "checkpoints") == best  # best wins
    assert ckpt.resolve(newest) == newest
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="folder holds no checkpoint"):
        ckpt.resolve(tmp_path / "empty")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        ckpt.resolve(tmp_path / "nope.pt")


# -- inference-only export ---------------------------------------------------------------------------------
def toy_state(tmp_path: Path) -> tuple[dict, dict]:
    torch.manual_seed(0)
    config = ToyGANTask.default_config()
    nets = ToyGANTask.build_networks(config)
    ema = {k: v + 0.5 for k, v in nets["generator"].state_dict().items()}
    state = {
        "format": ckpt.FORMAT,
        "version": 1,
        "task": "toy",
        "step": 7,
        "config": config,
        "networks": {name: net.state_dict() for name, net in nets.items()},
        "ema": {"generator": ema},
        "optimizers": {"generator": {"state": {}, "param_groups": [{"lr": 1e-3, "params": [0]}]}},
        "rng": [torch.arange(3, dtype=torch.uint8)],
        "extra": {"note": "kept"},
    }
    return state, ema


def test_export_keeps_only_the_named_networks_ema_weights_in_half_precision(tmp_path):
    state, ema = toy_state(tmp_path)
    src = ckpt.save_atomic(state, tmp_path / "full.pt")
    out = ckpt.export_for_inference(src, tmp_path / "lean.pt", ("generator",))
    lean = ckpt.load(out)  # a valid checkpoint, digest included
    assert lean["inference_only"] is True and lean["step"] == 7 and lean["extra"] == {"note": "kept"}
    assert list(lean["networks"]) == ["generator"] and "optimizers" not in lean and "rng" not in lean
    for k, v in lean["networks"]["generator"].items():
        assert v.dtype == torch.float16 and torch.equal(v, ema[k].half())  # the EMA copy, not the raw one
    assert out.stat().st_size < src.stat().st_size / 2
    full = ckpt.load(ckpt.export_for_inference(src, tmp_path / "f32.pt", ("generator",), half=False))
    assert all(v.dtype == torch.float32 for v in full["networks"]["generator"].values())
    with pytest.raises(CheckpointError, match="holds no weights for 'critic'"):
        ckpt.export_for_inference(src, tmp_path / "x.pt", ("critic",))
    assert not (tmp_path / "x.pt").exists()


def test_an_export_alone_rebuilds_the_generator_in_float32(tmp_path):
    state, ema = toy_state(tmp_path)
    src = ckpt.save_atomic(state, tmp_path / "full.pt")
    out = ckpt.export_for_inference(src, tmp_path / "lean.pt", ("generator",))
    bundle = load_for_inference(out, tasks=("toy",), names=("generator",))
    g = bundle.networks["generator"]
    assert bundle.task == "toy" and bundle.step == 7 and not g.training
    for k, v in g.state_dict().items():
        assert v.dtype == torch.float32
        torch.testing.assert_close(v, ema[k], atol=2e-3, rtol=1e-3)  # fp16 storage
    z = torch.randn(5, state["config"]["model"]["latent_dim"])
    assert g(z).shape == (5, 2)
