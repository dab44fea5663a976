"""Output names built from data ids never leave their folder."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from audiogan.data.datadir import DataDir
from audiogan.errors import DataDirError
from audiogan.features import commands as feature_commands
from audiogan.features import world as w
from audiogan.paths import check_name, child_path


@pytest.mark.parametrize("bad", ["", ".", "..", "a/../../x", "../x", "a\\b", "a\0b", "tab\there"])
def test_names_that_are_not_one_file_are_refused(bad):
    with pytest.raises(DataDirError, match="utterance id"):
        check_name(bad, "utterance id")


def test_child_path_stays_inside_and_refuses_a_symlink_out(tmp_path):
    assert child_path(tmp_path, "SF1_100001", ".npz") == tmp_path / "SF1_100001.npz"
    assert child_path(tmp_path, "a..b") == tmp_path / "a..b"  # dots inside a name are fine
    (tmp_path / "out").mkdir()
    (tmp_path / "link.wav").symlink_to(tmp_path / "out" / "elsewhere.wav")
    with pytest.raises(DataDirError, match="outside"):
        child_path(tmp_path, "link", ".wav")


def test_world_extract_refuses_an_id_with_a_path_before_writing(tmp_path, capsys):
    d = tmp_path / "data"
    d.mkdir()
    wav = tmp_path / "a.wav"
    sf.write(wav, (0.1 * np.sin(np.arange(8000) / 5)).astype(np.float32), 16000)
    (d / "wav.scp").write_text(f"x/../../evil {wav}\n")
    assert feature_commands.main(["extract", "--datadir", str(d), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("audiogan: error:") and "x/../../evil" in err and err.count("\n") == 1
    assert not list(tmp_path.rglob("*.npz")) and not (d / "feats.scp").exists()
    with pytest.raises(DataDirError):
        w.write_feats({"../evil": {"f0": np.zeros(2, np.float32)}}, d / "feats", d / "feats.scp")
    assert not (d / "evil.npz").exists()


def test_validate_refuses_ids_that_hold_a_path(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "utt2spk").write_text("spk/../x spk\n")
    (d / "spk2utt").write_text("spk spk/../x\n")
    with pytest.raises(DataDirError, match="contains '/'"):
        DataDir(d).validate(no_feats=True, no_text=True, no_wav=True)


def test_atomic_writes_get_the_usual_permissions_and_leave_no_temporaries(tmp_path):
    import os

    from audiogan.data.datadir import write_table
    from audiogan.paths import atomic_open, write_text_atomic

    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "a.txt", "hello\n")
        write_table(tmp_path / "utt2spk", {"u1": "s1"})
        w.SpeakerStats.from_dict(
            {"logf0_mean": 5.0, "logf0_std": 0.2, "sp_mean": [0.0], "sp_std": [1.0]}
        ).save(tmp_path / "stats.json")
        for name in ("a.txt", "utt2spk", "stats.json"):
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
        with pytest.raises(RuntimeError), atomic_open(tmp_path / "b.bin", "wb") as f:
            f.write(b"half")
            raise RuntimeError("crash mid-write")
        assert not (tmp_path / "b.bin").exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "stats.json", "utt2spk"]
    finally:
        os.umask(old)
