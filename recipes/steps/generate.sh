#!/usr/bin/env bash
# Generate clips with a WaveGAN checkpoint into <out-dir>/wav (one job; generation is fast).
# Arguments after <out-dir> go to `audiogan generate` (e.g. --seed 1 --device cuda).
set -euo pipefail

utils="$(dirname "$0")/../utils"
cmd="$utils/run.pl"
num=100
# shellcheck disable=SC2034
help_message="Usage: $0 [--cmd CMD] [--num N] <checkpoint> <out-dir> [generate options]
  --cmd CMD    job runner (default utils/run.pl)
  --num N      number of clips (default 100)"
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -lt 2 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
ckpt="$1"
dir="$2"
shift 2
read -ra runner <<< "$cmd"
"${runner[@]}" "$dir/log/generate.log" audiogan generate -m "$ckpt" -n "$num" -o "$dir/wav" "$@"
echo "$0: $(find "$dir/wav" -type f | wc -l) clips in $dir/wav"
