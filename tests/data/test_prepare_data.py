"""audiogan.data.prepare (the library behind `audiogan prepare dir`): id rules, utterance ids, the tables
written, determinism and errors. The CLI's own behaviour is in tests/cli/test_prepare.py."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.data.datadir import DataDir, read_table
from audiogan.data.prepare import parse_id_rule, prepare_dir
from audiogan.errors import AudioGanError, DataDirError


def audio(root: Path, rel: str, seconds: float = 0.05, sr: int = 16000) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    sf.write(p, np.zeros(int(round(seconds * sr)), np.float32), sr)
    return p


@pytest.fixture()
def corpus(tmp_path) -> Path:
    """corpus/{amy,bob}/...: wav, flac and ogg, a file a folder deeper, a name with a space, a text file."""
    root = tmp_path / "corpus"
    audio(root, "amy/u1.wav", 0.25)
    audio(root, "amy/u2.flac", 0.5, sr=8000)
    audio(root, "bob/bob-u1.ogg", 0.125)  # already starts with the speaker: not repeated
    audio(root, "bob/day 2/u3.wav", 0.1)  # parent folder 'day 2' is the speaker with the parent rule
    (root / "amy" / "notes.txt").write_text("not audio")
    return root


# -- id rules ------------------------------------------------------------------------------------------
def test_parse_id_rule():
    assert parse_id_rule("parent", "speaker") == ("parent", None)
    assert parse_id_rule("utt", "speaker", allow_utt=True) == ("utt", None)
    kind, pattern = parse_id_rule(r"regex:^(\w+)/", "speaker")
    assert kind == "regex" and isinstance(pattern, re.Pattern) and pattern.pattern == r"^(\w+)/"
    with pytest.raises(AudioGanError, match=r"--label-from must be parent or regex:PATTERN, got 'utt'"):
        parse_id_rule("utt", "label")  # labels cannot be per-file
    with pytest.raises(AudioGanError, match="--speaker-from: invalid regular expression"):
        parse_id_rule("regex:(", "speaker", allow_utt=True)


# -- what is written -----------------------------------------------------------------------------------
def test_parent_folder_rule_writes_a_valid_sorted_data_dir(corpus, tmp_path):
    d = prepare_dir(corpus, tmp_path / "data")
    assert isinstance(d, DataDir)
    d.validate(no_feats=True, no_text=True)
    assert d.utt2spk == {
        "amy-u1": "amy",
        "amy-u2": "amy",
        "bob-bob-u1": "bob",
        "day_2-bob-day_2-u3": "day_2",  # whitespace in ids becomes '_'
    }
    # absolute paths of the files themselves, durations from the headers (8 kHz file not resampled)
    assert d.wav_scp["amy-u2"] == str((corpus / "amy" / "u2.flac").resolve())
    assert Path(d.wav_scp["day_2-bob-day_2-u3"]).is_file()
    assert d.utt2dur == pytest.approx({"amy-u1": 0.25, "amy-u2": 0.5, "bob-bob-u1": 0.125,
                                       "day_2-bob-day_2-u3": 0.1})
    names = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert names == ["spk2utt", "utt2dur", "utt2spk", "wav.scp"]  # no labels asked for: no utt2label
    assert read_table(tmp_path / "data" / "spk2utt")["amy"] == "amy-u1 amy-u2"
    for name in names:  # every table in C sort order
        keys = [line.split()[0] for line in (tmp_path / "data" / name).read_text().splitlines()]
        assert keys == sorted(keys), name


def test_files_directly_in_the_folder_take_its_name_as_speaker(tmp_path):
    audio(tmp_path / "spk7", "a.wav")
    audio(tmp_path / "spk7", "spk7-b.wav")
    d = prepare_dir(tmp_path / "spk7", tmp_path / "data")
    assert d.utt2spk == {"spk7-a": "spk7", "spk7-b": "spk7"}


def test_regex_rules_take_group_id_then_group_1_then_the_match(corpus, tmp_path):
    named = prepare_dir(corpus, tmp_path / "a", speaker_from=r"regex:^(?P<x>.)(?P<id>[a-z]+)/",
                        label_from=r"regex:\.(wav|flac|ogg)$")
    assert set(named.utt2spk.values()) == {"my", "ob"}  # the named group 'id' wins over group 1
    assert named.extra("utt2label") == {"my-amy-u1": "wav", "my-amy-u2": "flac", "ob-bob-bob-u1": "ogg",
                                        "ob-bob-day_2-u3": "wav"}
    whole = prepare_dir(corpus, tmp_path / "b", speaker_from=r"regex:^[a-z]{3}")
    assert set(whole.utt2spk.values()) == {"amy", "bob"}
    assert "bob-day_2-u3" in whole.utt2spk  # one speaker for bob's nested file too
    per_file = prepare_dir(corpus, tmp_path / "c", speaker_from="utt")
    assert all(utt == spk for utt, spk in per_file.utt2spk.items()) and len(per_file.utt2spk) == 4
    per_file.validate(no_feats=True, no_text=True)


def test_labels_from_the_parent_folder_and_a_rerun_without_them(tmp_path):
    root = tmp_path / "words"
    for word in ("yes", "no"):
        for spk in ("s1", "s2"):
            audio(root, f"{word}/{spk}_{word}.wav")
    d = prepare_dir(root, tmp_path / "data", speaker_from=r"regex:/(s\d)_", label_from="parent")
    assert d.extra("utt2label") == {"s1-no-s1_no": "no", "s1-yes-s1_yes": "yes", "s2-no-s2_no": "no",
                                    "s2-yes-s2_yes": "yes"}
    prepare_dir(root, tmp_path / "data", speaker_from=r"regex:/(s\d)_")
    assert not (tmp_path / "data" / "utt2label").exists()  # a stale table would no longer match


def test_reruns_give_identical_tables_and_a_new_file_changes_nothing_else(corpus, tmp_path):
    prepare_dir(corpus, tmp_path / "one")
    audio(corpus, "zed/new.wav")  # a new file changes nothing for the others
    prepare_dir(corpus, tmp_path / "two")
    one, two = (read_table(tmp_path / x / "wav.scp") for x in ("one", "two"))
    assert set(two) - set(one) == {"zed-new"} and all(two[k] == v for k, v in one.items())
    prepare_dir(corpus, tmp_path / "three")
    for name in ("wav.scp", "utt2spk", "spk2utt", "utt2dur"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "three" / name).read_bytes()


# -- errors --------------------------------------------------------------------------------------------
def test_errors_name_the_problem(tmp_path, corpus):
    with pytest.raises(AudioGanError, match="no such folder"):
        prepare_dir(tmp_path / "missing", tmp_path / "d")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(AudioGanError, match="holds no .wav, .flac or .ogg files"):
        prepare_dir(tmp_path / "empty", tmp_path / "d")
    with pytest.raises(AudioGanError, match=r"amy/u1.wav: the speaker pattern '\^zzz' does not match"):
        prepare_dir(corpus, tmp_path / "d", speaker_from="regex:^zzz")
    with pytest.raises(AudioGanError, match="matched an empty string"):
        prepare_dir(corpus, tmp_path / "d", speaker_from="regex:^(x?)")
    audio(tmp_path / "clash", "s/a.wav")
    audio(tmp_path / "clash", "s/a.flac")
    with pytest.raises(AudioGanError, match="both give utterance id 's-a'; rename one"):
        prepare_dir(tmp_path / "clash", tmp_path / "d")
    assert not (tmp_path / "d").exists()  # every error above came before any write


def test_speaker_ids_that_break_the_sort_order_are_refused(tmp_path):
    audio(tmp_path / "c", "a/a-x.wav")
    audio(tmp_path / "c", "a/c.wav")
    audio(tmp_path / "c", "a-b/x.wav")  # speaker 'a-b' sorts between two of speaker 'a'
    with pytest.raises(DataDirError, match="choose another --speaker-from rule"):
        prepare_dir(tmp_path / "c", tmp_path / "d")


def test_a_refused_layout_leaves_no_data_dir_behind(tmp_path):
    audio(tmp_path / "c", "a/a-x.wav")
    audio(tmp_path / "c", "a/c.wav")
    audio(tmp_path / "c", "a-b/x.wav")
    with pytest.raises(DataDirError):
        prepare_dir(tmp_path / "c", tmp_path / "d")
    # an invalid data dir left behind would be picked up by the next recipe stage
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())
