"""utils/run.pl: parallel jobs, JOB substitution, logs, failure reporting."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

RUN_PL = Path(__file__).resolve().parents[2] / "recipes" / "utils" / "run.pl"

# Each job records when it started and ended (its own clock, so no timing thresholds are needed).
TIMED_JOB = ["bash", "-c", "date +%s.%N > t.JOB.start; sleep 1; date +%s.%N > t.JOB.end; echo done JOB"]


def run_pl(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUN_PL), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def interval(cwd: Path, j: int) -> tuple[float, float]:
    return float((cwd / f"t.{j}.start").read_text()), float((cwd / f"t.{j}.end").read_text())


def test_jobs_run_in_parallel_up_to_max_jobs(tmp_path):
    p = run_pl(tmp_path, "--max-jobs-run", "2", "JOB=1:2", "log/x.JOB.log", *TIMED_JOB)
    assert p.returncode == 0, p.stderr
    (s1, e1), (s2, e2) = interval(tmp_path, 1), interval(tmp_path, 2)
    assert s2 < e1 and s1 < e2  # the two jobs overlapped


def test_max_jobs_run_one_serialises(tmp_path):
    p = run_pl(tmp_path, "--max-jobs-run=1", "JOB=1:2", "log/x.JOB.log", *TIMED_JOB)
    assert p.returncode == 0, p.stderr
    (s1, e1), (s2, e2) = sorted([interval(tmp_path, 1), interval(tmp_path, 2)])
    assert e1 <= s2


def test_logs_hold_command_output_and_exit_code(tmp_path):
    p = run_pl(tmp_path, "JOB=1:3", "exp/log/echo.JOB.log", "echo", "job", "JOB", "of", "args with spaces")
    assert p.returncode == 0 and p.stderr == ""
    for j in (1, 2, 3):
        lines = (tmp_path / f"exp/log/echo.{j}.log").read_text().splitlines()
        assert lines[0] == f"# echo job {j} of 'args with spaces'"
        assert lines[1].startswith("# Started at ")
        assert lines[2] == f"job {j} of args with spaces"
        assert lines[-1].startswith("# Ended (code 0) at ")


def test_failed_jobs_are_named_with_their_logs(tmp_path):
    p = run_pl(tmp_path, "JOB=1:3", "log/t.JOB.log", "bash", "-c", "echo trying JOB; [ JOB -ne 2 ] || exit 3")
    assert p.returncode == 1
    assert "run.pl: job 2 failed (exit code 3), log is in log/t.2.log" in p.stderr
    assert "1 / 3 jobs failed" in p.stderr
    assert "job 1" not in p.stderr and "job 3" not in p.stderr
    assert (tmp_path / "log/t.2.log").read_text().splitlines()[-1].startswith("# Ended (code 3)")
    assert (tmp_path / "log/t.3.log").read_text().splitlines()[-1].startswith("# Ended (code 0)")


def test_single_job_form_and_shell_operators(tmp_path):
    p = run_pl(tmp_path, "log/one.log", "echo", "hi", "|", "tr", "a-z", "A-Z", ">", "out.txt")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "out.txt").read_text() == "HI\n"
    p = run_pl(tmp_path, "log/two.log", "false", "|", "cat")  # pipefail: a failing stage fails the job
    assert p.returncode == 1
    assert p.stderr == "run.pl: job failed (exit code 1), log is in log/two.log\n"
    p = run_pl(tmp_path, "--num-threads", "4", "--gpu", "1", "--mem", "2G", "log/three.log", "true")
    assert p.returncode == 0  # slurm.pl's resource options are accepted and ignored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["JOB=1:2", "log/same.log", "true"], "must contain JOB"),
        (["--bogus", "1", "log/x.log", "true"], "unknown option --bogus"),
        (["JOB=1:x", "log/x.JOB.log", "true"], "bad job range"),
        (["JOB=3:2", "log/x.JOB.log", "true"], "empty job range"),
        (["--max-jobs-run", "0", "log/x.log", "true"], "positive integer"),
        (["log/x.log"], "Usage"),
    ],
)
def test_usage_errors(tmp_path, args, message):
    p = run_pl(tmp_path, *args)
    assert p.returncode != 0 and message in p.stderr
