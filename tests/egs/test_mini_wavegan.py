"""egs/mini/wavegan: all stages with the debug configs (tiny models, 2 clips per word); SC09 data prep."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "egs" / "mini" / "wavegan"


@pytest.mark.slow
def test_debug_recipe_runs_all_stages(tmp_path, data_root, copy_recipe):
    work = copy_recipe(RECIPE, tmp_path / "wavegan")
    env = {**os.environ, "AUDIOGAN_DATA": str(data_root)}
    proc = subprocess.run(
        ["bash", "run.sh", "--conf", "conf/wavegan.debug.yaml"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    exp = work / "exp" / "wavegan.debug"
    assert len(list((exp / "generated" / "wav").glob("*.wav"))) == 20
    assert (exp / "generated" / "grid.png").is_file()
    scores = json.loads((exp / "scores.json").read_text())
    assert scores["generated"]["clips"] == 20 and "ndb" in scores["real"]
    results = (exp / "RESULTS.md").read_text()
    assert "Inception Score" in results and "| generated | 20 |" in results
    page = (exp / "report" / "index.html").read_text()  # stage 5: interpolations and the listening page
    assert page.count("<audio ") == 16 and page.count("<figure>") == 2  # 8 real + 8 generated; 2 grids
    assert len(list((exp / "interpolations").glob("interp_*.wav"))) == 4 * 8
    from audiogan.inference.loading import load_classifier_model, load_wavegan_model

    assert load_wavegan_model(exp / "export" / "wavegan.pt").step > 0  # stage 6: the built-in candidates
    assert load_classifier_model(exp / "export" / "classifier.pt").step > 0
    for split in ("train", "valid", "test"):
        labels = (work / "data" / "sub2" / split / "utt2label").read_text().split()[1::2]
        assert sorted(set(labels)) == ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"]
    spk = {
        s: set((work / "data" / "sub2" / s / "utt2spk").read_text().split()[1::2]) for s in ("train", "test")
    }
    assert spk["train"].isdisjoint(spk["test"])  # speaker-disjoint (ids start with the speaker)


def test_sc09_data_prep_uses_the_official_lists(tmp_path):
    root = tmp_path / "sc"
    for word in ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "yes"):
        (root / word).mkdir(parents=True)
        for spk in ("aaaa1111", "bbbb2222", "cccc3333"):
            sf.write(root / word / f"{spk}_nohash_0.wav", np.zeros(16000, np.float32), 16000)
    (root / "testing_list.txt").write_text("".join(f"{w}/cccc3333_nohash_0.wav\n" for w in ("zero", "one")))
    (root / "validation_list.txt").write_text("zero/bbbb2222_nohash_0.wav\n")
    out = tmp_path / "data"
    subprocess.run(
        ["python3", str(RECIPE / "local" / "prepare_data.py"), "--sc-root", str(root), str(out)],
        check=True,
        capture_output=True,
    )
    test = (out / "test" / "wav.scp").read_text().split()[::2]
    assert test == ["cccc3333-one-0", "cccc3333-zero-0"]
    assert (out / "valid" / "wav.scp").read_text().split()[::2] == ["bbbb2222-zero-0"]
    train_labels = set((out / "train" / "utt2label").read_text().split()[1::2])
    assert len(train_labels) == 10 and "yes" not in train_labels  # SC09: the ten digits only


@pytest.mark.slow
def test_conditional_specgan_recipe_scores_with_the_builtin_classifier(tmp_path, data_root, copy_recipe):
    work = copy_recipe(RECIPE, tmp_path / "wavegan")
    env = {**os.environ, "AUDIOGAN_DATA": str(data_root)}
    proc = subprocess.run(
        ["bash", "run.sh", "--conf", "conf/specgan_cond.debug.yaml", "--stop-stage", "4",
         "--classifier", "builtin:sc10-word-classifier"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "stage 1: skipped" in proc.stdout
    assert not list((work / "exp").glob("classifier_*"))  # no classifier trained
    exp = work / "exp" / "specgan_cond.debug"
    words = sorted(p.name for p in (exp / "generated" / "wav").iterdir())
    assert words == ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"]
    assert all(len(list((exp / "generated" / "wav" / w).glob("*.wav"))) == 2 for w in words)
    scores = json.loads((exp / "scores.json").read_text())
    assert 0.0 <= scores["generated"]["requested_word_accuracy"] <= 1.0
    results = (exp / "RESULTS.md").read_text()
    assert "classifier: builtin:sc10-word-classifier" in results
