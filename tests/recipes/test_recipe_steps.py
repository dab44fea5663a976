"""recipes/steps: durations and mixing through run.pl with nj=2; inference/scoring steps with a fake CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.data.datadir import DataDir, read_table, utt2spk_to_spk2utt, write_table
from audiogan.data.mix import mix_data_dirs

STEPS = Path(__file__).resolve().parents[2] / "recipes" / "steps"
SR = 16000

# Stands in for the audiogan CLI: records its arguments; denoise/convert copy their input folders'
# files to -o as <stem>.wav, generate writes -n clips, score prints a report and a JSON last line.
FAKE_AUDIOGAN = r"""#!/usr/bin/env bash
# the data dir tools are the real ones (steps split and collect data dirs with `audiogan data`)
if [ "$1" = data ]; then exec python3 -m audiogan "$@"; fi
printf '%s\n' "$*" >> "$FAKE_CALLS"
cmd="$1"; shift
out=""; n=1; ins=()
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    -n) n="$2"; shift 2 ;;
    -m|--direction|--device|--ref|--est|--noisy|--conf|--config|--outdir) shift 2 ;;
    -*) shift ;;
    *) ins+=("$1"); shift ;;
  esac
done
case "$cmd" in
  denoise|convert)
    mkdir -p "$out"
    for i in "${ins[@]}"; do
      for f in "$i"/*; do b="$(basename "$f")"; cp -L "$f" "$out/${b%.*}.wav"; done
    done ;;
  generate) mkdir -p "$out"; for ((k = 0; k < n; k++)); do : > "$out/clip$k.wav"; done ;;
  score) echo "a table for humans"
         echo '{"pesq": 2.5, "stoi": 0.91, "n_files": 3, "noisy": {"pesq": 1.2}}' ;;
  train) echo "training" ;;
esac
"""


def make_dir(root: Path, n: int = 4) -> Path:
    wav, utt2spk = {}, {}
    for k in range(n):
        spk = "amy" if k < n // 2 else "bob"
        utt = f"{spk}-{k}"
        p = root / "audio" / f"{utt}.wav"
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(p, (0.2 * np.sin(np.arange(SR // 2 + 800 * k) * 0.05)).astype(np.float32), SR)
        wav[utt], utt2spk[utt] = str(p), spk
    d = root / "data"
    write_table(d / "wav.scp", wav)
    write_table(d / "utt2spk", utt2spk)
    write_table(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    return d


def step(name: str, *args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(STEPS / name), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture()
def fake_cli(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "audiogan").write_text(FAKE_AUDIOGAN)
    (bin_dir / "audiogan").chmod(0o755)
    calls = tmp_path / "calls"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_CALLS": str(calls)}
    return env, calls


def test_compute_durations_with_two_jobs(tmp_path):
    d = make_dir(tmp_path)
    p = step("compute_durations.sh", "--nj", 2, d, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    expected = {u: (SR // 2 + 800 * k) / SR for k, u in enumerate(DataDir(d).utts)}
    assert DataDir(d).utt2dur == pytest.approx(expected, abs=1e-5)
    assert (d / "log/utt2dur.1.log").is_file() and (d / "log/utt2dur.2.log").is_file()
    DataDir(d).validate(no_feats=True, no_text=True)


def test_make_mix_with_two_jobs_equals_one_process(tmp_path):
    clean = make_dir(tmp_path / "c")
    rng = np.random.default_rng(1)
    sf.write(tmp_path / "hum.wav", (0.05 * rng.standard_normal(SR)).astype(np.float32), SR)
    noise = tmp_path / "noise"
    write_table(noise / "wav.scp", {"n-hum": str(tmp_path / "hum.wav")})
    write_table(noise / "utt2spk", {"n-hum": "n"})
    p = step("make_mix.sh", "--nj", 2, "--snrs", "0,10", "--seed", 4, clean, noise, tmp_path / "mix",
             cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "is valid (4 utterances)" in p.stdout
    ref = mix_data_dirs(clean, noise, tmp_path / "ref", snrs=[0, 10], seed=4, progress=False)
    got = DataDir(tmp_path / "mix")
    assert got.utts == ref.utts
    for name in ("utt2snr", "utt2noise", "utt2spk", "spk2utt"):
        assert (tmp_path / "mix" / name).read_text() == (tmp_path / "ref" / name).read_text()
    for utt in ref.utts:
        assert Path(got.wav_scp[utt]).read_bytes() == Path(ref.wav_scp[utt]).read_bytes()
        assert Path(got.extra("spk1.scp")[utt]).read_bytes() == Path(ref.extra("spk1.scp")[utt]).read_bytes()
    assert (tmp_path / "mix" / "mix.yaml").is_file()


def test_denoise_and_convert_split_the_data_and_collect_outputs(tmp_path, fake_cli):
    env, calls = fake_cli
    d = make_dir(tmp_path)
    write_table(d / "spk1.scp", read_table(d / "wav.scp"))
    p = step("denoise.sh", "--nj", 2, "exp/segan", d, "exp/enh", "--device", "cpu", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert sorted(calls.read_text().splitlines()) == [
        "denoise -m exp/segan exp/enh/input/1 -o exp/enh/wav --device cpu",
        "denoise -m exp/segan exp/enh/input/2 -o exp/enh/wav --device cpu",
    ]
    enh = DataDir(tmp_path / "exp/enh")
    enh.validate(no_feats=True, no_text=True)
    assert enh.utts == DataDir(d).utts and enh.extra("spk1.scp") == read_table(d / "spk1.scp")
    assert all(Path(p).parent == tmp_path / "exp/enh/wav" for p in enh.wav_scp.values())
    calls.unlink()
    p = step("convert.sh", "--direction", "B2A", "exp/vc", d, "exp/conv", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert calls.read_text() == "convert -m exp/vc --direction B2A exp/conv/input/1 -o exp/conv/wav\n"
    assert DataDir(tmp_path / "exp/conv").utts == DataDir(d).utts
    p = step("convert.sh", "--direction", "sideways", "exp/vc", d, "exp/conv", cwd=tmp_path, env=env)
    assert p.returncode == 1 and "A2B or B2A" in p.stderr


def test_train_generate_score_and_results(tmp_path, fake_cli):
    env, calls = fake_cli
    p = step("train.sh", "--conf", "conf/x.yaml", "toy", "exp/toy", "trainer.max_steps=5", cwd=tmp_path,
             env=env)
    assert p.returncode == 0, p.stderr
    assert calls.read_text() == "train toy --outdir exp/toy --config conf/x.yaml trainer.max_steps=5\n"
    assert "training" in (tmp_path / "exp/toy/log/train.log").read_text()
    p = step("generate.sh", "--num", 3, "exp/toy", "exp/toy/gen", cwd=tmp_path, env=env)
    assert p.returncode == 0 and "3 clips" in p.stdout
    p = step("score.sh", "enhancement", "exp/toy/score", "--ref", "data/test", "--est", "exp/toy/enh",
             cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert "a table for humans" in p.stdout
    scores = json.loads((tmp_path / "exp/toy/score/scores_enhancement.json").read_text())
    assert scores["pesq"] == 2.5
    p = step("make_results.sh", "--title", "tiny / toy", "--note", "config: x", "RESULTS.md",
             "test=exp/toy/score/scores_enhancement.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    md = (tmp_path / "RESULTS.md").read_text()
    assert md.startswith("# tiny / toy\n") and "## test" in md
    assert "| pesq | 2.5 |" in md and "| noisy.pesq | 1.2 |" in md and "| n_files | 3 |" in md
    p = step("score.sh", "quality", "exp/x", cwd=tmp_path, env=env)
    assert p.returncode == 1 and "unknown kind" in p.stderr
