# shellcheck shell=bash
# How jobs run: utils/run.pl runs them on this machine and writes the log file given first.
# For a cluster, point these at utils/slurm.pl with your options (docs/recipes.md).
export train_cmd="utils/run.pl"
export decode_cmd="utils/run.pl"
export score_cmd="utils/run.pl"
