#!/usr/bin/env bash
# Convert a data dir with a CycleGAN-VC2 checkpoint: nj jobs of `audiogan convert` over parts of wav.scp.
# Output: <out-dir>/wav/<utt>.wav and the data dir <out-dir> (wav.scp = converted audio, ids and tables
# of <data-dir>), ready for steps/score.sh. Arguments after <out-dir> go to `audiogan convert`.
set -euo pipefail

utils="$(dirname "$0")/../utils"
nj=1
cmd="$utils/run.pl"
direction=A2B
# shellcheck disable=SC2034
help_message="Usage: $0 [--nj N] [--cmd CMD] [--direction A2B|B2A] <checkpoint> <data-dir> <out-dir> [convert options]
  --nj N              parallel jobs (default 1)
  --cmd CMD           job runner (default utils/run.pl)
  --direction DIR     A2B (default) or B2A"
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -lt 3 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
case "$direction" in A2B|B2A) ;; *) echo "$0: --direction must be A2B or B2A, got '$direction'" >&2; exit 1 ;; esac
ckpt="$1"
data="$2"
dir="$3"
shift 3
[ -f "$data/utt2spk" ] || { echo "$0: no $data/utt2spk" >&2; exit 1; }
read -ra runner <<< "$cmd"
root="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"

n=$(wc -l < "$data/utt2spk")
[ "$nj" -le "$n" ] || nj="$n"
"$utils/split_data.sh" --per-utt "$data" "$nj" > /dev/null
for j in $(seq "$nj"); do
  python3 -m audiogan.data.datadir link-audio "$data/split${nj}utt/$j" "$dir/input/$j" > /dev/null
done
rm -rf "$dir/wav"
"${runner[@]}" JOB=1:"$nj" "$dir/log/convert.JOB.log" \
  audiogan convert -m "$ckpt" --direction "$direction" "$dir/input/JOB" -o "$dir/wav" "$@"
python3 -m audiogan.data.datadir collect "$data" "$dir/wav" "$dir"
