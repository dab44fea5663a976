"""egs/vcc2016/cyclegan_vc2: the debug config runs stages -1..5 on AUDIOGAN_DATA (no download), writes
RESULTS.md with MCD/F0 for converted and unconverted speech and exports an inference-only copy; data prep
handles both corpus layouts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "egs" / "vcc2016" / "cyclegan_vc2"


def _table(path: Path) -> dict[str, str]:
    return dict(line.split(maxsplit=1) for line in path.read_text().splitlines())


@pytest.mark.slow
def test_debug_recipe_end_to_end(tmp_path, data_root, copy_recipe) -> None:
    work = copy_recipe(RECIPE, tmp_path / "recipe")
    env = {**os.environ, "AUDIOGAN_DATA": str(data_root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["bash", "run.sh", "--conf", "conf/cyclegan_vc2.debug.yaml"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "nothing to download" in proc.stdout and not (work / "downloads").exists()
    data, exp = work / "data_4", work / "exp" / "cyclegan_vc2.debug_SF1_TM1"
    # held-out test sentences, parallel references keyed by the source utterance ids
    refs = _table(data / "test_SF1_ref" / "wav.scp")
    assert sorted(refs) == ["SF1_100029", "SF1_100030"] and refs["SF1_100029"].endswith("TM1/100029.flac")
    # non-parallel training: the two speakers share no training sentence
    a = {u.split("_")[1] for u in _table(data / "train_SF1" / "wav.scp")}
    b = {u.split("_")[1] for u in _table(data / "train_TM1" / "wav.scp")}
    assert len(a) == len(b) == 4 and not a & b
    # dev conversion during training, then both test directions converted and scored
    assert list((exp / "dev" / "step-4" / "A2B").glob("*.wav"))
    for d in ("test_SF1_to_TM1", "test_TM1_to_SF1"):
        outs = sorted((exp / "convert" / d / "wav").glob("*.wav"))
        assert len(outs) == 2
        x, sr = sf.read(outs[0])
        assert sr == 16000 and np.isfinite(x).all()
    results = (exp / "RESULTS.md").read_text()
    assert "SF1 -> TM1" in results and "TM1 -> SF1" in results
    assert "## SF1 -> TM1" in results and "## TM1 -> SF1" in results and "| unconverted SF1 |" in results
    assert "MCD all frames (dB)" in results and "MCD speech frames (dB)" in results
    assert "## Quality target" in results and "MCD gain, speech frames" in results
    # stage 7: the GMM baseline, trained on the parallel pairs, scored on the same test sets, row beside
    gmm = work / "exp" / "gmm_vcc2016_SF1_TM1"
    assert (gmm / "gmm.npz").is_file() and len(_table(data / "parallel" / "train_TM1" / "wav.scp")) == 4
    assert results.count("| GMM (parallel) |") == 2 and "below the GMM's" in results
    # stage 5: the inference-only copy converts on its own
    from audiogan.inference.convert import VoiceConverter

    conv = VoiceConverter.from_checkpoint(exp / "export" / "cyclegan_vc2.debug.pt", "B2A")
    assert conv.speakers == ("TM1", "SF1")
    y = conv.convert(sf.read(outs[0])[0])
    assert y.shape == (len(sf.read(outs[0])[0]),) and np.isfinite(y).all()


def _prep(db: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(RECIPE / "local" / "data_prep.py"), str(db), "SF1", "TM1", str(out), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def _fake_corpus(root: Path, layout: str) -> Path:
    x = (0.1 * np.sin(np.arange(1600) / 5)).astype(np.float32)
    for spk in ("SF1", "TM1"):
        if layout == "official":
            (root / "vcc2016_training" / spk).mkdir(parents=True, exist_ok=True)
            for i in range(1, 9):
                sf.write(root / "vcc2016_training" / spk / f"1000{i:02d}.wav", x, 16000)
            for i in range(1, 4):
                (root / "evaluation_all" / spk).mkdir(parents=True, exist_ok=True)
                sf.write(root / "evaluation_all" / spk / f"2000{i:02d}.wav", x, 16000)
        else:
            (root / spk).mkdir(parents=True, exist_ok=True)
            for i in range(1, 11):
                sf.write(root / spk / f"1000{i:02d}.flac", x, 16000)
    return root


def test_data_prep_official_layout(tmp_path) -> None:
    db = _fake_corpus(tmp_path / "db", "official")
    proc = _prep(db, tmp_path / "data", "--n-dev", "2", "--non-parallel", "false")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "data"
    assert sorted(_table(out / "test_SF1" / "wav.scp")) == ["SF1_200001", "SF1_200002", "SF1_200003"]
    assert sorted(_table(out / "dev_TM1" / "wav.scp")) == ["TM1_100007", "TM1_100008"]
    assert len(_table(out / "train_SF1" / "wav.scp")) == 6
    assert _table(out / "test_TM1_ref" / "wav.scp")["TM1_200002"].endswith("evaluation_all/SF1/200002.wav")
    assert _table(out / "train_SF1" / "utt2spk")["SF1_100001"] == "SF1"


def test_data_prep_speaker_folders_and_errors(tmp_path) -> None:
    db = _fake_corpus(tmp_path / "db", "folders")
    proc = _prep(db, tmp_path / "data", "--n-dev", "1", "--n-test", "2")
    assert proc.returncode == 0, proc.stderr
    train_a = sorted(_table(tmp_path / "data" / "train_SF1" / "wav.scp"))
    train_b = sorted(_table(tmp_path / "data" / "train_TM1" / "wav.scp"))
    assert train_a == ["SF1_100001", "SF1_100002", "SF1_100003"]  # first half of 7 ...
    assert train_b == ["TM1_100004", "TM1_100005", "TM1_100006", "TM1_100007"]  # ... and the second
    bad = subprocess.run([sys.executable, str(RECIPE / "local" / "data_prep.py"), str(db), "SF1", "XX9",
                          str(tmp_path / "d2")], capture_output=True, text=True)
    assert bad.returncode != 0 and "no speaker 'XX9'" in bad.stderr


def test_data_prep_full_set_from_the_manifest(tmp_path) -> None:
    """--set vcc2016_full: all training utterances, dev = the first --n-dev 2000NN utterances, test = the
    rest of them (never a training utterance); other sets in the manifest are ignored."""
    db = tmp_path / "db"
    x = (0.1 * np.sin(np.arange(1600) / 5)).astype(np.float32)
    rows = ["path\tsample_rate\tnum_samples\tspeaker\tset"]
    for spk in ("SF1", "TM1"):
        for folder, stems in (("vcc2016_full", [f"1000{i:02d}" for i in range(1, 7)]
                               + [f"2000{i:02d}" for i in range(6, 10)]), ("vcc2016", ["100001", "100002"])):
            (db / folder / spk).mkdir(parents=True, exist_ok=True)
            for stem in stems:
                sf.write(db / folder / spk / f"{stem}.flac", x, 16000)
                rows.append(f"{folder}/{spk}/{stem}.flac\t16000\t1600\t{spk}\t{folder}")
    (db / "manifest.tsv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "data"
    proc = _prep(db, out, "--set", "vcc2016_full", "--n-dev", "1", "--non-parallel", "false")
    assert proc.returncode == 0, proc.stderr
    train = _table(out / "train_SF1" / "wav.scp")
    assert sorted(train) == [f"SF1_1000{i:02d}" for i in range(1, 7)]
    assert all("vcc2016_full" in p for p in train.values())
    assert sorted(_table(out / "dev_TM1" / "wav.scp")) == ["TM1_200006"]
    assert sorted(_table(out / "test_SF1" / "wav.scp")) == ["SF1_200007", "SF1_200008", "SF1_200009"]
    assert _table(out / "test_SF1_ref" / "wav.scp")["SF1_200008"].endswith("vcc2016_full/TM1/200008.flac")
    # the disjoint halves of the non-parallel setting come from the 6 training utterances only
    proc = _prep(db, tmp_path / "halves", "--set", "vcc2016_full", "--n-dev", "1")
    assert proc.returncode == 0, proc.stderr
    a = {u.split("_")[1] for u in _table(tmp_path / "halves" / "train_SF1" / "wav.scp")}
    b = {u.split("_")[1] for u in _table(tmp_path / "halves" / "train_TM1" / "wav.scp")}
    assert a == {"100001", "100002", "100003"} and b == {"100004", "100005", "100006"}
