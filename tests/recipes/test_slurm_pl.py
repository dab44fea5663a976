"""utils/slurm.pl against a fake sbatch on PATH that runs the array tasks locally."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SLURM_PL = Path(__file__).resolve().parents[2] / "recipes" / "utils" / "slurm.pl"

# Records its arguments, then runs every array task (optionally skipping one, like a killed task).
FAKE_SBATCH = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_SBATCH_CALLS"
array=""; out=""; script="${!#}"
for a in "$@"; do
  case "$a" in --array=*) array="${a#--array=}" ;; --output=*) out="${a#--output=}" ;; esac
done
range="${array%%\%*}"; first="${range%-*}"; last="${range#*-}"; rc=0
for ((t = first; t <= last; t++)); do
  [ "$t" = "${FAKE_SBATCH_SKIP:-}" ] && { rc=1; continue; }
  SLURM_ARRAY_TASK_ID=$t bash "$script" > "${out//%a/$t}" 2>&1 || rc=$?
done
exit $rc
"""


def slurm_pl(tmp_path: Path, *args: str, skip: str = "") -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "sbatch").write_text(FAKE_SBATCH)
    (bin_dir / "sbatch").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "FAKE_SBATCH_CALLS": str(tmp_path / "calls"), "FAKE_SBATCH_SKIP": skip}
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run([str(SLURM_PL), *args], cwd=work, env=env, capture_output=True, text=True,
                          timeout=60)


def test_one_array_job_with_mapped_options(tmp_path):
    p = slurm_pl(tmp_path, "--max-jobs-run", "2", "--gpu", "1", "--mem", "4G", "--num-threads", "2",
                 "--time", "1:00:00", "JOB=1:3", "log/x.JOB.log", "echo", "hello JOB", ">", "out.JOB")
    assert p.returncode == 0, p.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert len(calls) == 1
    for opt in ("--wait", "--array=1-3%2", "--gres=gpu:1", "--mem=4G", "--cpus-per-task=2", "--time=1:00:00"):
        assert opt in calls[0].split()
    work = tmp_path / "work"
    assert [(work / f"out.{j}").read_text() for j in (1, 2, 3)] == ["hello 1\n", "hello 2\n", "hello 3\n"]
    log = (work / "log/x.2.log").read_text().splitlines()
    assert log[0] == "# echo 'hello 2' > out.2"
    assert log[-1].startswith("# Ended (code 0)")
    assert (work / "log/q/x.sh").is_file()


def test_failed_and_killed_jobs_are_reported(tmp_path):
    p = slurm_pl(tmp_path, "JOB=1:3", "log/t.JOB.log", "test", "JOB", "-ne", "2")
    assert p.returncode == 1
    assert "slurm.pl: job 2 failed (exit code 1), log is in log/t.2.log" in p.stderr
    assert "1 / 3 jobs failed" in p.stderr
    p = slurm_pl(tmp_path, "JOB=1:3", "log/k.JOB.log", "true", skip="3")
    assert p.returncode == 1
    assert "job 3 failed (no exit code recorded" in p.stderr and "job 1" not in p.stderr


def test_single_job_form(tmp_path):
    p = slurm_pl(tmp_path, "log/one.log", "echo", "hi")
    assert p.returncode == 0, p.stderr
    assert "--array=1-1" in (tmp_path / "calls").read_text()
    assert "hi" in (tmp_path / "work/log/one.log").read_text().splitlines()
