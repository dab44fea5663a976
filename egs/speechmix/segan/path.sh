# shellcheck shell=bash
# Environment of the recipe: the audiogan CLI (pip install -e .) and the Kaldi-style utils/ on PATH.
export PATH="$PWD/utils:$PATH"
export PYTHONUNBUFFERED=1
export LC_ALL=C
