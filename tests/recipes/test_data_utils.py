"""utils/ data-dir scripts: validate, fix, subset, combine, split, split_scp.pl, spk2utt, filter_scp."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from audiogan.data.datadir import DataDir, read_table, utt2spk_to_spk2utt, write_table
from audiogan.data.operations import split_list

UTILS = Path(__file__).resolve().parents[2] / "recipes" / "utils"


def sh(*args, cwd=None, stdin=None) -> subprocess.CompletedProcess:
    cmd = [str(UTILS / args[0]), *map(str, args[1:])]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, input=stdin, timeout=60)


def make_dir(path: Path, spk_utts=(("amy", 3), ("bob", 2), ("cat", 4))) -> Path:
    utt2spk = {f"{s}-{k:02d}": s for s, n in spk_utts for k in range(n)}
    write_table(path / "utt2spk", utt2spk)
    write_table(path / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    write_table(path / "wav.scp", {u: f"/audio/{u}.wav" for u in utt2spk})
    write_table(path / "utt2dur", {u: 1.0 + i for i, u in enumerate(sorted(utt2spk))})
    return path


def test_validate_accepts_a_good_dir_and_names_the_problem_otherwise(tmp_path):
    d = make_dir(tmp_path / "d")
    p = sh("validate_data_dir.sh", "--no-feats", "--no-text", d)
    assert p.returncode == 0 and "is valid (9 utterances)" in p.stdout
    p = sh("validate_data_dir.sh", "--no-feats", d)
    assert p.returncode == 1 and "no text in this data dir" in p.stderr


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("unsorted", "wav.scp: not sorted in C order"),
        ("duplicate", "duplicate id 'amy-00'"),
        ("mismatch", "wav.scp does not match utt2spk"),
        ("spk2utt", "spk2utt does not match utt2spk"),
        ("prefix", "must start with their speaker id"),
    ],
)
def test_validate_rejects_broken_dirs(tmp_path, breakage, message):
    d = make_dir(tmp_path / "d")
    wav = (d / "wav.scp").read_text().splitlines()
    if breakage == "unsorted":
        (d / "wav.scp").write_text("\n".join(wav[1:] + wav[:1]) + "\n")
    elif breakage == "duplicate":
        (d / "wav.scp").write_text("\n".join(wav[:1] + wav) + "\n")
    elif breakage == "mismatch":
        (d / "wav.scp").write_text("\n".join(wav[:-1]) + "\n")
    elif breakage == "spk2utt":
        (d / "spk2utt").write_text("amy amy-00\n")
    elif breakage == "prefix":
        utt2spk = read_table(d / "utt2spk")
        utt2spk["amy-00"] = "zoe"
        write_table(d / "utt2spk", utt2spk)
        write_table(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    p = sh("validate_data_dir.sh", "--no-feats", "--no-text", d)
    assert p.returncode == 1
    assert message in p.stderr and p.stderr.startswith("validate_data_dir.sh: error:")
    assert p.stderr.count("\n") == 1


def test_fix_data_dir_repairs_what_validate_rejects(tmp_path):
    d = make_dir(tmp_path / "d")
    wav = (d / "wav.scp").read_text().splitlines()
    (d / "wav.scp").write_text("\n".join(reversed(wav[:-1])) + "\n")  # unsorted and one missing
    (d / "spk2utt").unlink()
    assert sh("validate_data_dir.sh", "--no-feats", "--no-text", d).returncode == 1
    p = sh("fix_data_dir.sh", d)
    assert p.returncode == 0 and "kept 8 of 9 utterances" in p.stdout
    assert sh("validate_data_dir.sh", "--no-feats", "--no-text", d).returncode == 0
    assert len(read_table(d / "utt2dur")) == 8


def test_subset_data_dir_forms(tmp_path):
    d = make_dir(tmp_path / "d")
    assert sh("subset_data_dir.sh", d, 3, tmp_path / "even").returncode == 0
    assert DataDir(tmp_path / "even").utts == ["amy-00", "bob-00", "cat-01"]  # evenly spaced: 0, 3, 6
    assert sh("subset_data_dir.sh", "--first", d, 2, tmp_path / "first").returncode == 0
    assert DataDir(tmp_path / "first").utts == ["amy-00", "amy-01"]
    assert sh("subset_data_dir.sh", "--last", d, 1, tmp_path / "last").returncode == 0
    assert DataDir(tmp_path / "last").utts == ["cat-03"]
    assert sh("subset_data_dir.sh", "--per-spk", d, 1, tmp_path / "per").returncode == 0
    assert DataDir(tmp_path / "per").utts == ["amy-00", "bob-00", "cat-00"]
    assert sh("subset_data_dir.sh", "--shortest", d, 2, tmp_path / "short").returncode == 0
    assert DataDir(tmp_path / "short").utts == ["amy-00", "amy-01"]
    (tmp_path / "spk.list").write_text("bob\n")
    assert sh("subset_data_dir.sh", "--spk-list", tmp_path / "spk.list", d, tmp_path / "bob").returncode == 0
    assert DataDir(tmp_path / "bob").speakers == ["bob"]
    (tmp_path / "utt.list").write_text("cat-01 anything\namy-02\n")
    assert sh("subset_data_dir.sh", "--utt-list", tmp_path / "utt.list", d, tmp_path / "u").returncode == 0
    u = DataDir(tmp_path / "u")
    assert u.utts == ["amy-02", "cat-01"] and set(u.utt2dur) == {"amy-02", "cat-01"}
    u.validate(no_feats=True, no_text=True)
    p = sh("subset_data_dir.sh", d, 99, tmp_path / "x")
    assert p.returncode == 1 and "has only 9" in p.stderr


def test_split_data_then_combine_data_restores_the_dir(tmp_path):
    d = make_dir(tmp_path / "d")
    p = sh("split_data.sh", d, 3)
    assert p.returncode == 0 and p.stdout.strip() == str(d / "split3")
    parts = [DataDir(d / "split3" / str(j)) for j in (1, 2, 3)]
    assert [p.speakers for p in parts] == [["amy"], ["bob"], ["cat"]]
    assert sh("split_data.sh", "--per-utt", d, 4).returncode == 0
    parts = [d / "split4utt" / str(j) for j in (1, 2, 3, 4)]
    assert sh("combine_data.sh", tmp_path / "all", *parts).returncode == 0
    for name in ("utt2spk", "spk2utt", "wav.scp", "utt2dur"):
        assert (tmp_path / "all" / name).read_text() == (d / name).read_text()
    p = sh("split_data.sh", d, 4)
    assert p.returncode == 1 and "3 speaker(s) into 4 parts" in p.stderr


def test_split_scp_matches_the_python_splitter(tmp_path):
    rng = random.Random(0)
    for trial in range(6):
        spk_utts = [(f"s{i}", rng.randint(1, 5)) for i in range(rng.randint(3, 8))]
        d = make_dir(tmp_path / f"d{trial}", spk_utts)
        utts = DataDir(d).utts
        n = rng.randint(1, len(spk_utts))
        outs = [tmp_path / f"o{trial}.{j}" for j in range(n)]
        for by_spk in (False, True):
            extra = ["--utt2spk", d / "utt2spk"] if by_spk else []
            assert sh("split_scp.pl", *extra, d / "wav.scp", *outs).returncode == 0
            got = [list(read_table(o)) for o in outs]
            assert got == split_list(utts, n, DataDir(d).utt2spk if by_spk else None)
    p = sh("split_scp.pl", "-j", 3, 1, tmp_path / "d0" / "utt2spk")
    assert p.returncode == 0 and p.stdout == "".join(
        f"{u} {s}\n" for u, s in read_table(tmp_path / "d0" / "utt2spk").items()
        if u in split_list(DataDir(tmp_path / "d0").utts, 3)[1])
    p = sh("split_scp.pl", tmp_path / "d0" / "utt2spk", *[tmp_path / f"x{j}" for j in range(100)])
    assert p.returncode != 0 and "non-empty parts" in p.stderr


def test_spk2utt_conversions_and_filter_scp(tmp_path):
    d = make_dir(tmp_path / "d")
    p = sh("utt2spk_to_spk2utt.pl", d / "utt2spk")
    assert p.returncode == 0 and p.stdout == (d / "spk2utt").read_text()
    p = sh("spk2utt_to_utt2spk.pl", stdin=(d / "spk2utt").read_text())
    assert p.returncode == 0 and p.stdout == (d / "utt2spk").read_text()
    (tmp_path / "ids").write_text("bob-01\ncat-00 x\n")
    p = sh("filter_scp.pl", tmp_path / "ids", d / "utt2spk")
    assert p.stdout == "bob-01 bob\ncat-00 cat\n"
    p = sh("filter_scp.pl", "--exclude", tmp_path / "ids", d / "utt2spk")
    assert len(p.stdout.splitlines()) == 7 and "bob-01" not in p.stdout
    (tmp_path / "spks").write_text("amy\n")
    p = sh("filter_scp.pl", "-f", 2, tmp_path / "spks", d / "utt2spk")
    assert p.stdout.splitlines() == ["amy-00 amy", "amy-01 amy", "amy-02 amy"]
