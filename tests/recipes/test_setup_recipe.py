"""recipes/setup.sh: scaffolding a recipe that runs, passes shellcheck and follows the conventions."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.data.datadir import DataDir

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
needs_shellcheck = pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")


def scaffold(dest: Path, *opts: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(RECIPES / "setup.sh"), *opts, str(dest)], capture_output=True, text=True,
                          timeout=120)


def shellcheck(recipe: Path) -> subprocess.CompletedProcess:
    scripts = [str(p.relative_to(recipe)) for p in [*recipe.glob("*.sh"), *recipe.glob("local/*.sh")]]
    return subprocess.run(["shellcheck", "--external-sources", *scripts], cwd=recipe, capture_output=True,
                          text=True, timeout=120)


def test_scaffold_layout_symlinks_and_help(tmp_path):
    recipe = tmp_path / "egs" / "mycorpus" / "segan"
    p = scaffold(recipe, "--model", "toy", "--kind", "enhancement")
    assert p.returncode == 0, p.stderr
    for f in ("run.sh", "path.sh", "cmd.sh", "db.sh", "local/data.sh", "local/download.sh", "conf/train.yaml",
              "conf/train.debug.yaml"):
        assert (recipe / f).is_file(), f
    for link in ("utils", "steps"):
        target = os.readlink(recipe / link)
        assert not os.path.isabs(target) and (recipe / link).resolve() == RECIPES / link
    text = "\n".join(p.read_text() for p in recipe.rglob("*") if p.is_file())
    assert "__MODEL__" not in text and "#>>" not in text and "__CORPUS" not in text
    assert "steps/denoise.sh" in (recipe / "run.sh").read_text()
    assert "steps/convert.sh" not in (recipe / "run.sh").read_text()
    assert 'corpus="${MYCORPUS_ROOT:-' in (recipe / "db.sh").read_text()
    assert "task: toy" in (recipe / "conf/train.yaml").read_text()  # the model's full defaults
    h = subprocess.run([str(recipe / "run.sh"), "--help"], capture_output=True, text=True, timeout=60)
    assert h.returncode == 0 and "--stop-stage" in h.stdout
    bad = subprocess.run([str(recipe / "run.sh"), "--stgae", "1"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "invalid option --stgae" in bad.stderr
    again = scaffold(recipe)
    assert again.returncode == 1 and "already exists" in again.stderr


@needs_shellcheck
@pytest.mark.parametrize("kind", ["enhancement", "conversion", "generation", "none"])
def test_scaffolded_recipe_is_shellcheck_clean(tmp_path, kind):
    recipe = tmp_path / "egs" / "c" / "m"
    assert scaffold(recipe, "--kind", kind, "--model", "m").returncode == 0
    p = shellcheck(recipe)
    assert p.returncode == 0, p.stdout


def test_data_stages_run_and_rerun_on_a_small_corpus(tmp_path):
    rng = np.random.default_rng(0)
    corpus = tmp_path / "corpus"
    for spk in ("amy", "bob"):
        (corpus / spk).mkdir(parents=True)
        for k in range(5):
            sf.write(corpus / spk / f"{k}.wav", (0.1 * rng.standard_normal(4000)).astype(np.float32), 16000)
    recipe = tmp_path / "egs" / "tiny" / "toy"
    assert scaffold(recipe, "--model", "toy").returncode == 0
    env = {**os.environ, "TINY_ROOT": str(corpus)}
    cmd = [str(recipe / "run.sh"), "--stage", "-1", "--stop-stage", "1", "--conf", "conf/train.debug.yaml",
           "--nj", "2", "--test-utts", "2"]
    for _ in range(2):  # every stage can be re-run
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "stage 0" in p.stdout and "stage 1" in p.stdout and "stage 2" not in p.stdout
    train, test = DataDir(recipe / "data/train"), DataDir(recipe / "data/test")
    train.validate(no_feats=True, no_text=True)
    test.validate(no_feats=True, no_text=True)
    assert len(test.utts) == 2 and len(train.utts) == 6  # the debug config keeps 4 utterances per speaker
    assert set(train.utts).isdisjoint(test.utts)
    assert train.utt2dur == pytest.approx(dict.fromkeys(train.utts, 0.25))
    missing = subprocess.run(cmd, env={**env, "TINY_ROOT": str(tmp_path / "nowhere")}, capture_output=True,
                             text=True, timeout=60)
    assert missing.returncode == 1 and "no audio files in" in missing.stderr
