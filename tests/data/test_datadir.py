"""Kaldi-style data dirs: tables, validation, pipes, segments, features, fix/subset/split/combine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.data.datadir import (
    DataDir,
    FeatsWriter,
    read_feats,
    read_table,
    utt2spk_to_spk2utt,
    write_feats,
    write_table,
)
from audiogan.data.operations import (
    collect_outputs,
    combine_data_dirs,
    compute_utt2dur,
    fix_data_dir,
    link_audio,
    split_data_dir,
    split_list,
    subset_data_dir,
)
from audiogan.errors import AudioError, DataDirError

SR = 16000


def tone(seconds: float, freq: float = 220.0, sr: int = SR, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def make_dir(root: Path, spk_utts: dict[str, int] | None = None, seconds: float = 0.5) -> Path:
    """A valid data dir with real audio files: {speaker: number of utterances}."""
    spk_utts = spk_utts or {"spkA": 2, "spkB": 3}
    d = root / "data"
    wav, utt2spk = {}, {}
    for i, (spk, n) in enumerate(spk_utts.items()):
        for k in range(n):
            utt = f"{spk}-u{k}"
            path = root / "audio" / f"{utt}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, tone(seconds + 0.1 * k, 200 + 50 * i), SR)
            wav[utt] = str(path)
            utt2spk[utt] = spk
    write_table(d / "wav.scp", wav)
    write_table(d / "utt2spk", utt2spk)
    write_table(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    return d


# ------------------------------------------------------------------------------------------ tables
def test_write_table_sorts_in_c_order_and_round_trips(tmp_path):
    table = {"b": "2", "B": "x y", "a-1": 1.5, "a": [1, 2], "é": "e"}
    p = write_table(tmp_path / "t", table)
    lines = p.read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["B", "a", "a-1", "b", "é"]  # byte order: upper first
    assert read_table(p) == {"B": "x y", "a": "1 2", "a-1": "1.5", "b": "2", "é": "e"}
    assert not list(tmp_path.glob(".t.*"))  # no temporary file left behind


def test_read_table_rejects_duplicates_and_missing_values(tmp_path):
    (tmp_path / "dup").write_text("a 1\nb 2\na 3\n")
    with pytest.raises(DataDirError, match=r"dup:3: duplicate id 'a'"):
        read_table(tmp_path / "dup")
    (tmp_path / "short").write_text("a 1\nb\n")
    with pytest.raises(DataDirError, match=r"short:2"):
        read_table(tmp_path / "short")
    assert read_table(tmp_path / "short", allow_empty_value=True) == {"a": "1", "b": ""}
    with pytest.raises(DataDirError, match="no such file"):
        read_table(tmp_path / "missing")


def test_write_table_rejects_ids_with_whitespace(tmp_path):
    with pytest.raises(DataDirError, match="invalid id"):
        write_table(tmp_path / "t", {"a b": "1"})


# --------------------------------------------------------------------------------------- DataDir API
def test_datadir_reads_tables_and_audio(tmp_path):
    d = DataDir(make_dir(tmp_path))
    assert d.utts == ["spkA-u0", "spkA-u1", "spkB-u0", "spkB-u1", "spkB-u2"]
    assert d.speakers == ["spkA", "spkB"]
    assert d.spk2utt["spkB"] == ["spkB-u0", "spkB-u1", "spkB-u2"]
    assert d.segments is None and d.text is None and d.utt2dur is None
    x, sr = d.load_audio("spkA-u1")
    assert sr == SR and x.shape == (1, int(0.6 * SR)) and x.dtype == np.float32
    y, sr8 = d.load_audio("spkA-u1", sample_rate=8000)
    assert sr8 == 8000 and abs(y.shape[1] - 0.6 * 8000) <= 1
    assert d.extra("utt2lang", required=False) is None
    with pytest.raises(DataDirError, match="no utt2lang"):
        d.extra("utt2lang")
    d.validate(no_feats=True, no_text=True)


def test_relative_paths_fall_back_to_the_data_dir(tmp_path, monkeypatch):
    d = tmp_path / "d"
    d.mkdir()
    sf.write(d / "a.wav", tone(0.2), SR)
    write_table(d / "wav.scp", {"s-a": "a.wav"})
    write_table(d / "utt2spk", {"s-a": "s"})
    monkeypatch.chdir(tmp_path)  # a.wav is not in the current dir
    x, _ = DataDir(d).load_audio("s-a")
    assert x.shape[1] == int(0.2 * SR)


def test_pipe_entries_are_run_and_decoded(tmp_path):
    src = tmp_path / "src.wav"
    sf.write(src, tone(0.5, channels=2), SR)
    d = tmp_path / "d"
    write_table(d / "wav.scp", {"s-1": f"cat {src} |", "s-2": "false |", "s-3": "echo notaudio |"})
    write_table(d / "utt2spk", {"s-1": "s", "s-2": "s", "s-3": "s"})
    dd = DataDir(d)
    x, sr = dd.load_audio("s-1")
    assert sr == SR and x.shape == (2, SR // 2)
    np.testing.assert_allclose(x, sf.read(src, dtype="float32", always_2d=True)[0].T)
    assert dd.load_audio("s-1", mono=True)[0].shape == (1, SR // 2)
    with pytest.raises(AudioError, match="failed with exit code 1"):
        dd.load_audio("s-2")
    with pytest.raises(AudioError, match="did not write readable audio"):
        dd.load_audio("s-3")


def test_pipes_warn_once_and_audiogan_no_pipes_refuses_them(tmp_path, monkeypatch, capsys):
    from audiogan.data import entries

    src, marker = tmp_path / "src.wav", tmp_path / "ran"
    sf.write(src, tone(0.2), SR)
    d = tmp_path / "d"
    write_table(d / "wav.scp", {"s-1": f"touch {marker}; cat {src} |"})
    write_table(d / "utt2spk", {"s-1": "s"})
    monkeypatch.setattr(entries, "_warned_pipes", False)
    monkeypatch.setenv("AUDIOGAN_NO_PIPES", "1")
    with pytest.raises(AudioError, match="refused \\(AUDIOGAN_NO_PIPES=1\\)"):
        DataDir(d).load_audio("s-1")
    assert not marker.exists()  # the command never ran
    monkeypatch.delenv("AUDIOGAN_NO_PIPES")
    DataDir(d).load_audio("s-1")
    DataDir(d).load_audio("s-1")
    assert marker.exists()
    err = capsys.readouterr().err
    assert err.count("running shell commands listed in wav.scp") == 1 and "AUDIOGAN_NO_PIPES=1" in err


def test_file_only_readers_refuse_pipes_with_the_way_out(tmp_path):
    d = tmp_path / "d"
    write_table(d / "wav.scp", {"s-1": "cat x.wav |"})
    write_table(d / "utt2spk", {"s-1": "s"})
    with pytest.raises(DataDirError, match="command pipe.*link-audio"):
        DataDir(d).audio_path("s-1")


def test_segments_cut_recordings_from_files_and_pipes(tmp_path):
    rec = tmp_path / "rec.wav"
    x = np.arange(2 * SR, dtype=np.float32) / (4 * SR)  # a ramp: sample values tell positions
    sf.write(rec, x, SR, subtype="FLOAT")
    d = tmp_path / "d"
    write_table(d / "wav.scp", {"r1": str(rec), "r2": f"cat {rec} |"})
    write_table(d / "segments", {"s-a": "r1 0.5 1.0", "s-b": "r1 1.5 -1", "s-c": "r2 0.25 0.75"})
    write_table(d / "utt2spk", {"s-a": "s", "s-b": "s", "s-c": "s"})
    write_table(d / "spk2utt", {"s": "s-a s-b s-c"})
    dd = DataDir(d)
    dd.validate(no_feats=True, no_text=True)
    a, _ = dd.load_audio("s-a")
    np.testing.assert_array_equal(a[0], x[SR // 2:SR])
    b, _ = dd.load_audio("s-b")
    np.testing.assert_array_equal(b[0], x[3 * SR // 2:])
    c, _ = dd.load_audio("s-c")
    np.testing.assert_array_equal(c[0], x[SR // 4:3 * SR // 4])
    assert dd.recording("s-b") == ("r1", 1.5, None)
    durs = compute_utt2dur(d)
    assert durs == pytest.approx({"s-a": 0.5, "s-b": 0.5, "s-c": 0.5})


def test_utt2dur_of_missing_or_broken_files_is_a_clear_error(tmp_path):
    d = make_dir(tmp_path)
    assert compute_utt2dur(d)["spkB-u2"] == pytest.approx(0.7)
    Path(read_table(d / "wav.scp")["spkA-u1"]).write_bytes(b"not audio")
    with pytest.raises(AudioError, match="'spkA-u1'.*not a readable audio file"):
        compute_utt2dur(d)
    Path(read_table(d / "wav.scp")["spkA-u1"]).unlink()
    with pytest.raises(AudioError, match="'spkA-u1'.*no such file"):
        compute_utt2dur(d)


def test_light_tools_know_the_same_audio_extensions():
    from audiogan import audio
    from audiogan.data import datadir

    assert datadir._AUDIO_EXTENSIONS == audio.AUDIO_EXTENSIONS


def test_bad_segments_are_rejected(tmp_path):
    d = make_dir(tmp_path, {"s": 1})
    write_table(d / "segments", {"s-u0": "s-u0 1.0 0.5"})
    with pytest.raises(DataDirError, match="end time 0.5 is not after start time 1"):
        DataDir(d).validate(no_feats=True, no_text=True)


# ---------------------------------------------------------------------------------------- validation
def _expect_invalid(d: Path, match: str, **kw) -> None:
    with pytest.raises(DataDirError, match=match):
        DataDir(d).validate(no_feats=True, no_text=True, **kw)


def test_validate_rejects_unsorted_tables(tmp_path):
    d = make_dir(tmp_path)
    lines = (d / "wav.scp").read_text().splitlines()
    (d / "wav.scp").write_text("\n".join(reversed(lines)) + "\n")
    _expect_invalid(d, r"wav.scp: not sorted in C order.*fix_data_dir")


def test_validate_rejects_duplicate_ids(tmp_path):
    d = make_dir(tmp_path)
    text = (d / "utt2spk").read_text()
    (d / "utt2spk").write_text(text.splitlines()[0] + "\n" + text)
    _expect_invalid(d, "duplicate id 'spkA-u0'")


def test_validate_rejects_mismatched_tables(tmp_path):
    d = make_dir(tmp_path)
    wav = read_table(d / "wav.scp")
    del wav["spkB-u1"]
    write_table(d / "wav.scp", wav)
    _expect_invalid(d, r"wav.scp does not match utt2spk: 1 id\(s\) only in utt2spk \(first: 'spkB-u1'\)")


def test_validate_rejects_stale_spk2utt_and_extra_tables(tmp_path):
    d = make_dir(tmp_path)
    write_table(d / "spk2utt", {"spkA": "spkA-u0", "spkB": "spkB-u0 spkB-u1 spkB-u2"})
    _expect_invalid(d, "spk2utt does not match utt2spk")
    d2 = make_dir(tmp_path / "2")
    write_table(d2 / "utt2snr", {"spkA-u0": 5})
    _expect_invalid(d2, r"utt2snr does not match utt2spk: 4 id\(s\) only in utt2spk")
    d3 = make_dir(tmp_path / "3")
    write_table(d3 / "spk2gender", {"spkA": "f", "spkB": "m", "spkC": "f"})
    _expect_invalid(d3, r"spk2gender does not match spk2utt")


def test_validate_requires_speaker_prefixed_ids(tmp_path):
    d = tmp_path / "d"
    utt2spk = {"u1": "zed", "u2": "amy"}
    write_table(d / "utt2spk", utt2spk)
    write_table(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    write_table(d / "wav.scp", {"u1": "x.wav", "u2": "y.wav"})
    _expect_invalid(d, "must start with their speaker id")


def test_validate_requires_text_and_feats_unless_told(tmp_path):
    d = DataDir(make_dir(tmp_path))
    with pytest.raises(DataDirError, match="no text.*--no-text"):
        d.validate(no_feats=True)
    with pytest.raises(DataDirError, match="no feats.scp.*--no-feats"):
        d.validate(no_text=True)
    (d.path / "wav.scp").unlink()
    with pytest.raises(DataDirError, match="no wav.scp"):
        d.validate(no_feats=True, no_text=True)
    d.validate(no_feats=True, no_text=True, no_wav=True)


# ------------------------------------------------------------------------------ fix / subset / split
def test_fix_data_dir_keeps_the_intersection_and_backs_up(tmp_path):
    d = make_dir(tmp_path)
    wav = read_table(d / "wav.scp")
    del wav["spkA-u1"]
    (d / "wav.scp").write_text("".join(f"{k} {v}\n" for k, v in reversed(wav.items())))  # unsorted too
    (d / "text").write_text("spkB-u2 hello\nspkB-u2 hello\nspkA-u0 hi\nspkB-u0\nspkB-u1 x\n")  # dup line
    (d / "spk2utt").unlink()
    kept, before = fix_data_dir(d)
    assert (kept, before) == (4, 5)
    dd = DataDir(d)
    dd.validate(no_feats=True)
    assert dd.utts == ["spkA-u0", "spkB-u0", "spkB-u1", "spkB-u2"]
    assert dd.text == {"spkA-u0": "hi", "spkB-u0": "", "spkB-u1": "x", "spkB-u2": "hello"}
    assert (d / ".backup" / "wav.scp").is_file()


def test_fix_data_dir_refuses_conflicting_duplicates(tmp_path):
    d = make_dir(tmp_path)
    (d / "utt2snr").write_text("spkA-u0 5\nspkA-u0 10\n")
    with pytest.raises(DataDirError, match="appears twice with different values"):
        fix_data_dir(d)


def test_subset_filters_every_table(tmp_path):
    d = make_dir(tmp_path)
    write_table(d / "utt2snr", {u: 5 for u in DataDir(d).utts})
    write_table(d / "spk2gender", {"spkA": "f", "spkB": "m"})
    s = subset_data_dir(d, tmp_path / "sub", ["spkB-u2", "spkB-u0"])
    s.validate(no_feats=True, no_text=True)
    assert s.utts == ["spkB-u0", "spkB-u2"]
    assert s.extra("spk2gender") == {"spkB": "m"}
    assert list(s.extra("utt2snr")) == ["spkB-u0", "spkB-u2"]
    with pytest.raises(DataDirError, match="not in this dir"):
        subset_data_dir(d, tmp_path / "sub2", ["nope"])


@pytest.mark.parametrize(
    ("n", "groups", "expected"),
    [
        (2, None, [["a1", "a2", "b1"], ["c1", "c2", "c3"]]),
        (4, None, [["a1"], ["a2", "b1"], ["c1"], ["c2", "c3"]]),
        (2, "spk", [["a1", "a2", "b1"], ["c1", "c2", "c3"]]),
        (3, "spk", [["a1", "a2"], ["b1"], ["c1", "c2", "c3"]]),
    ],
)
def test_split_list(n, groups, expected):
    items = ["a1", "a2", "b1", "c1", "c2", "c3"]
    spk = {u: u[0] for u in items} if groups else None
    assert split_list(items, n, spk) == expected


def test_split_list_errors():
    with pytest.raises(DataDirError, match="into 7 non-empty parts"):
        split_list(["a", "b"], 7)
    with pytest.raises(DataDirError, match="2 speaker"):
        split_list(["a1", "b1", "b2"], 3, {"a1": "a", "b1": "b", "b2": "b"})


def test_split_data_dir_then_combine_gives_the_original(tmp_path):
    d = make_dir(tmp_path, {"spkA": 2, "spkB": 3, "spkC": 1})
    write_table(d / "text", {u: f"words of {u}" for u in DataDir(d).utts})
    parts = split_data_dir(d, 2)
    assert [p.path.name for p in parts] == ["1", "2"]
    assert all(len(set(p.speakers)) == len(p.speakers) for p in parts)
    assert set(parts[0].speakers).isdisjoint(parts[1].speakers)  # by speaker: nobody is split
    per_utt = split_data_dir(d, 4, per_utt=True)
    assert [len(p.utts) for p in per_utt] == [1, 2, 1, 2]
    out, dropped = combine_data_dirs(tmp_path / "comb", [p.path for p in per_utt])
    assert dropped == []
    for name in ("wav.scp", "utt2spk", "spk2utt", "text"):
        assert (out.path / name).read_text() == (d / name).read_text()


def test_combine_rejects_conflicting_ids_and_drops_partial_tables(tmp_path):
    a = make_dir(tmp_path / "a", {"spkA": 2})
    b = make_dir(tmp_path / "b", {"spkB": 1})
    write_table(a / "utt2snr", {"spkA-u0": 1, "spkA-u1": 2})
    out, dropped = combine_data_dirs(tmp_path / "c", [a, b])
    assert dropped == ["utt2snr"] and out.utts == ["spkA-u0", "spkA-u1", "spkB-u0"]
    c = make_dir(tmp_path / "c2", {"spkA": 1})  # same id spkA-u0, another path
    with pytest.raises(DataDirError, match="also in another source"):
        combine_data_dirs(tmp_path / "d", [a, c])


def test_link_audio_and_collect_outputs(tmp_path):
    d = make_dir(tmp_path)
    write_table(d / "spk1.scp", read_table(d / "wav.scp"))
    n = link_audio(d, tmp_path / "links")
    assert n == 5 and sorted(p.name for p in (tmp_path / "links").iterdir())[0] == "spkA-u0.wav"
    assert (tmp_path / "links" / "spkA-u0.wav").is_symlink()
    outs = tmp_path / "outs" / "sub"
    outs.mkdir(parents=True)
    for u in DataDir(d).utts:
        sf.write(outs / f"{u}.flac", tone(0.1), SR)
    c = collect_outputs(d, tmp_path / "outs", tmp_path / "enh")
    c.validate(no_feats=True, no_text=True)
    assert c.wav_scp["spkB-u2"].endswith("sub/spkB-u2.flac")
    assert c.extra("spk1.scp") == read_table(d / "spk1.scp")
    (outs / "spkB-u2.flac").unlink()
    with pytest.raises(DataDirError, match="no output for 1 of 5"):
        collect_outputs(d, tmp_path / "outs", tmp_path / "enh2")


# ------------------------------------------------------------------------------------------ features
def test_feats_round_trip_through_datadir_and_archives(tmp_path):
    d = make_dir(tmp_path)
    rng = np.random.default_rng(0)
    feats = {u: {"f0": rng.random(7).astype(np.float32), "coded_sp": rng.random((7, 3))}
             for u in DataDir(d).utts}
    scp = write_feats(d, feats)
    assert set(scp) == set(feats) and all(v.endswith(f"feats.npz:{k}") for k, v in scp.items())
    dd = DataDir(d)
    dd.validate(no_text=True)  # feats.scp present and consistent
    back = read_feats(d)
    for u in feats:
        np.testing.assert_array_equal(back[u]["f0"], feats[u]["f0"])
        np.testing.assert_array_equal(back[u]["coded_sp"], feats[u]["coded_sp"])
    np.testing.assert_array_equal(dd.load_feats("spkA-u1")["f0"], feats["spkA-u1"]["f0"])
    # Streaming writer and per-utterance .npz files (no ':key') both read back.
    with FeatsWriter(tmp_path / "arch" / "f.1.npz", compress=True) as w:
        w.write("x-1", np.ones((2, 2)))
    assert read_feats(tmp_path / "arch" / "f.1.npz")["x-1"]["feats"].shape == (2, 2)
    np.savez(tmp_path / "one.npz", f0=np.zeros(3))
    write_table(tmp_path / "feats.scp", {"x-2": str(tmp_path / "one.npz")})
    assert read_feats(tmp_path / "feats.scp")["x-2"]["f0"].shape == (3,)


def test_feats_writer_leaves_nothing_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with FeatsWriter(tmp_path / "f.npz") as w:
            w.write("u-1", {"a": np.zeros(2)})
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
