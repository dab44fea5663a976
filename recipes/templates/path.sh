# shellcheck shell=bash
# Environment of the recipe (sourced by run.sh from the recipe dir): utils/ on PATH, the project's
# package importable (also without `pip install -e .`), C collation for sorted tables.
AUDIOGAN_ROOT="$(cd "$(dirname "$(readlink -f utils)")/.." && pwd)"
export AUDIOGAN_ROOT
export PATH="$PWD/utils:$PATH"
export PYTHONPATH="$AUDIOGAN_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
export LC_ALL=C
