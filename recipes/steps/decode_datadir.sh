#!/usr/bin/env bash
# Run an `audiogan` inference command over a data dir in nj jobs (shared by denoise.sh and convert.sh).
#   steps/decode_datadir.sh [--nj N] [--cmd CMD] <data-dir> <out-dir> <command> [args] -- [more args]
# Each job gets a folder of <utt>.<ext> links to its part of wav.scp (the CLIs take files or folders) and
# runs `audiogan <command> [args] <folder> -o <out-dir>/wav [more args]`; the outputs are collected into the
# data dir <out-dir> (wav.scp = outputs, other tables copied from <data-dir>), ready for steps/score.sh.
set -euo pipefail

utils="$(dirname "$0")/../utils"
nj=1
cmd="$utils/run.pl"
# shellcheck disable=SC2034
help_message="Usage: $0 [--nj N] [--cmd CMD] <data-dir> <out-dir> <command> [args] -- [more args]"
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -lt 3 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
data="$1"
dir="$2"
command="$3"
shift 3
lead=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do lead+=("$1"); shift; done
[ $# -eq 0 ] || shift  # the "--"
[ -f "$data/utt2spk" ] || { echo "$0: no $data/utt2spk" >&2; exit 1; }
read -ra runner <<< "$cmd"

n=$(wc -l < "$data/utt2spk")
[ "$nj" -le "$n" ] || nj="$n"
"$utils/split_data.sh" --per-utt "$data" "$nj" > /dev/null
for j in $(seq "$nj"); do
  audiogan data link-audio "$data/split${nj}utt/$j" "$dir/input/$j" > /dev/null
done
rm -rf "$dir/wav"
"${runner[@]}" JOB=1:"$nj" "$dir/log/$command.JOB.log" \
  audiogan "$command" "${lead[@]}" "$dir/input/JOB" -o "$dir/wav" "$@"
audiogan data collect "$data" "$dir/wav" "$dir"
