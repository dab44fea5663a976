"""Fixtures of the recipe tests: a working copy of a recipe to run in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# what a recipe is made of; everything else in its folder (data/, exp/, dump/, RESULTS.md, ...) is output
RECIPE_PARTS = ("run.sh", "cmd.sh", "path.sh", "db.sh", "conf", "local")


def _copy_recipe(src: Path, dst: Path) -> Path:
    """Copy recipe ``src`` to ``dst`` without its outputs; ``utils``/``steps`` point at the project's shared
    scripts (the recipe's own relative links would break in a copy)."""
    dst.mkdir(parents=True)
    for name in RECIPE_PARTS:
        part = src / name
        (shutil.copytree if part.is_dir() else shutil.copy2)(part, dst / name)
    for link in ("utils", "steps"):
        (dst / link).symlink_to(ROOT / "recipes" / link)
    return dst


@pytest.fixture(scope="session")
def copy_recipe():
    """``copy_recipe(src, dst) -> dst``: a runnable copy of a recipe (see :func:`_copy_recipe`)."""
    return _copy_recipe
