# shellcheck shell=bash
# Environment of the recipe (sourced by run.sh from the recipe dir): utils/ on PATH, C collation for
# sorted tables. The recipe runs the installed `audiogan` (pip install -e . in the checkout).
AUDIOGAN_ROOT="$(cd "$(dirname "$(readlink -f utils)")/.." && pwd)"
export AUDIOGAN_ROOT
export PATH="$PWD/utils:$PATH"
export PYTHONUNBUFFERED=1
export LC_ALL=C
