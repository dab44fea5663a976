#!/usr/bin/env bash
# Train (or resume) a model: audiogan train <model> --config <yaml> --outdir <exp-dir> [overrides...]
# Re-running resumes from the newest checkpoint in <exp-dir>. With --ngpu N > 1 the job runs under
# torchrun with N processes on one node.
set -euo pipefail

utils="$(dirname "$0")/../utils"
cmd="$utils/run.pl"
conf=""
ngpu=0
# shellcheck disable=SC2034
help_message="Usage: $0 [--cmd CMD] [--conf YAML] [--ngpu N] <model> <exp-dir> [section.key=value ...]
  --cmd CMD      job runner (default utils/run.pl; e.g. 'slurm.pl --gpu 1 --time 24:00:00')
  --conf YAML    training config (default: the model's defaults; --config is reserved by parse_options.sh)
  --ngpu N       GPUs; N > 1 launches torchrun --nproc-per-node N (default 0: as the config says)
Log: <exp-dir>/log/train.log"
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -lt 2 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
model="$1"
exp="$2"
shift 2
read -ra runner <<< "$cmd"
if [ "$ngpu" -gt 1 ]; then
  launch=(torchrun --standalone --nproc-per-node "$ngpu" -m audiogan train)
else
  launch=(audiogan train)
fi
args=("$model" --outdir "$exp")
[ -z "$conf" ] || args+=(--config "$conf")
mkdir -p "$exp/log"
echo "$0: training $model in $exp (log: $exp/log/train.log)"
"${runner[@]}" "$exp/log/train.log" "${launch[@]}" "${args[@]}" "$@"
