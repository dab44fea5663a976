"""Every shell script under recipes/ and in the egs/ recipes passes shellcheck; every Perl script compiles;
scripts that are run (not sourced) are executable."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "recipes"
SHELL_SCRIPTS = sorted(RECIPES.rglob("*.sh"))
PERL_SCRIPTS = sorted(RECIPES.rglob("*.pl"))
# Sourced, not run: they need no execute bit.
SOURCED = {RECIPES / "utils/parse_options.sh"} | {RECIPES / "templates" / n
                                                  for n in ("path.sh", "cmd.sh", "db.sh")}
# egs/<corpus>/<recipe>/{run,cmd,path,db}.sh and local/*.sh (utils/ and steps/ are links to recipes/)
EGS_SCRIPTS = sorted([*ROOT.glob("egs/*/*/*.sh"), *ROOT.glob("egs/*/*/local/*.sh")])
EGS_RECIPES = sorted({p.parent.parent if p.parent.name == "local" else p.parent for p in EGS_SCRIPTS})
# local/prepare.sh: a corpus's stages -1 and 0, sourced by its run.sh
EGS_SOURCED = {"path.sh", "cmd.sh", "db.sh", "prepare.sh"}
needs_shellcheck = pytest.mark.skipif(shutil.which("shellcheck") is None,
                                      reason="shellcheck not installed (dev extra)")


def test_there_are_scripts_to_check():
    assert len(SHELL_SCRIPTS) >= 15 and len(PERL_SCRIPTS) >= 5
    assert len(EGS_RECIPES) >= 5 and all((r / "run.sh").is_file() for r in EGS_RECIPES)


@needs_shellcheck
def test_shellcheck_is_clean():
    p = subprocess.run(["shellcheck", "--external-sources", *map(str, SHELL_SCRIPTS)], cwd=RECIPES,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


@needs_shellcheck
@pytest.mark.parametrize("recipe", EGS_RECIPES, ids=lambda p: str(p.relative_to(ROOT / "egs")))
def test_shellcheck_is_clean_in_each_egs_recipe(recipe):
    """Run from the recipe folder, as run.sh is, so `. ./path.sh` and `. utils/parse_options.sh` are
    followed and checked with it."""
    scripts = [str(p.relative_to(recipe)) for p in EGS_SCRIPTS if recipe in p.parents]
    p = subprocess.run(["shellcheck", "--external-sources", *scripts], cwd=recipe,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("script", PERL_SCRIPTS, ids=lambda p: p.name)
def test_perl_scripts_compile(script):
    p = subprocess.run(["perl", "-c", str(script)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize(
    "script",
    [s for s in SHELL_SCRIPTS + PERL_SCRIPTS if s not in SOURCED]
    + [s for s in EGS_SCRIPTS if s.name not in EGS_SOURCED],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_scripts_are_executable(script):
    assert script.stat().st_mode & 0o111, f"{script} is not executable"
