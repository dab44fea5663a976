# shellcheck shell=bash
# How jobs run. run.pl runs them on this machine (--max-jobs-run N caps parallel jobs; the resource
# options are accepted and ignored). slurm.pl submits them with sbatch and waits for them; its options
# map to sbatch: --gpu N, --mem M, --time T, --num-threads N, --partition P, --max-jobs-run N.
export train_cmd="run.pl"
export decode_cmd="run.pl"
# export train_cmd="slurm.pl --gpu 1 --mem 16G --time 24:00:00"
# export decode_cmd="slurm.pl --mem 4G --max-jobs-run 32"
