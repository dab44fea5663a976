"""Every shell script under recipes/ passes shellcheck; every Perl script compiles; scripts are executable."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
SHELL_SCRIPTS = sorted(RECIPES.rglob("*.sh"))
PERL_SCRIPTS = sorted(RECIPES.rglob("*.pl"))
# Sourced, not run: they need no execute bit.
SOURCED = {RECIPES / "utils/parse_options.sh"} | {RECIPES / "templates" / n
                                                  for n in ("path.sh", "cmd.sh", "db.sh")}


def test_there_are_scripts_to_check():
    assert len(SHELL_SCRIPTS) >= 15 and len(PERL_SCRIPTS) >= 5


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (dev extra)")
def test_shellcheck_is_clean():
    p = subprocess.run(["shellcheck", "--external-sources", *map(str, SHELL_SCRIPTS)], cwd=RECIPES,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("script", PERL_SCRIPTS, ids=lambda p: p.name)
def test_perl_scripts_compile(script):
    p = subprocess.run(["perl", "-c", str(script)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("script", [s for s in SHELL_SCRIPTS + PERL_SCRIPTS if s not in SOURCED],
                         ids=lambda p: str(p.relative_to(RECIPES)))
def test_scripts_are_executable(script):
    assert script.stat().st_mode & 0o111, f"{script} is not executable"
