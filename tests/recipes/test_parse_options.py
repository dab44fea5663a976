"""utils/parse_options.sh: a table of command lines and what the sourcing script sees."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

UTILS = Path(__file__).resolve().parents[2] / "recipes" / "utils"

SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
nj=4
foo_bar=x
use_gpu=false
empty=""
help_message="Usage: demo [--nj N] [--foo-bar S] [--use-gpu true|false] <a> <b>"
. {utils}/parse_options.sh
printf 'nj=%s foo_bar=%s use_gpu=%s empty=%s args=%s n=%s\\n' "$nj" "$foo_bar" "$use_gpu" "$empty" "$*" "$#"
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("po")
    script = d / "demo.sh"
    script.write_text(SCRIPT.format(utils=UTILS))
    (d / "my.conf").write_text("nj=9\nfoo_bar=from_conf\n")
    return script, d / "my.conf"


CASES = [
    ([], 0, "nj=4 foo_bar=x use_gpu=false empty= args= n=0"),
    (["--nj", "2", "a", "b"], 0, "nj=2 foo_bar=x use_gpu=false empty= args=a b n=2"),
    (["--foo-bar", "two words", "a"], 0, "foo_bar=two words"),
    (["--foo-bar=v=1", "a"], 0, "foo_bar=v=1"),
    (["--empty", "set", "--nj", "1"], 0, "nj=1 foo_bar=x use_gpu=false empty=set"),
    (["--use-gpu", "true"], 0, "use_gpu=true"),
    (["--use-gpu", "yes"], 1, "option --use-gpu takes true or false, got 'yes'"),
    (["--bogus", "1", "a"], 1, "invalid option --bogus"),
    (["--nj"], 1, "option --nj needs a value"),
    (["--help"], 0, "Usage: demo [--nj N]"),
    (["-h"], 0, "Usage: demo"),
    (["CONF", "a"], 0, "nj=9 foo_bar=from_conf"),
    (["--nj", "3", "CONF", "a"], 0, "nj=3 foo_bar=from_conf"),  # command line beats the config file
    (["CONF", "--nj", "3", "a"], 0, "nj=3 foo_bar=from_conf"),
    (["--config", "/nonexistent.conf"], 1, "config file '/nonexistent.conf' does not exist"),
    (["--nj", "5", "--", "--not-an-option"], 0, "nj=5 foo_bar=x use_gpu=false empty= args=--not-an-option"),
    (["a", "--nj", "3"], 0, "nj=4 foo_bar=x use_gpu=false empty= args=a --nj 3 n=3"),  # options come first
    (["--__po_i", "1"], 1, "invalid option --__po_i"),
]


@pytest.mark.parametrize(("args", "rc", "expected"), CASES)
def test_parse_options(demo, args, rc, expected):
    script, conf = demo
    args = [a for arg in args for a in (["--config", str(conf)] if arg == "CONF" else [arg])]
    p = subprocess.run(["bash", str(script), *args], capture_output=True, text=True)
    assert p.returncode == rc, p.stderr
    assert expected in (p.stdout if rc == 0 else p.stderr)
    if rc:
        assert p.stderr.count("\n") == 1  # one line naming the problem
