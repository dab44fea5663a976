#!/usr/bin/env bash
# Enhance a data dir with a SEGAN checkpoint: nj jobs of `audiogan denoise` over parts of wav.scp.
# Output: <out-dir>/wav/<utt>.* and the data dir <out-dir> (wav.scp = enhanced audio; utt2spk, spk2utt,
# spk1.scp and other tables copied from <data-dir>), ready for steps/score.sh.
# Arguments after <out-dir> go to `audiogan denoise` (e.g. --device cuda --batch-size 16).
set -euo pipefail

utils="$(dirname "$0")/../utils"
nj=1
cmd="$utils/run.pl"
# shellcheck disable=SC2034
help_message="Usage: $0 [--nj N] [--cmd CMD] <checkpoint> <data-dir> <out-dir> [denoise options]
  --nj N       parallel jobs (default 1)
  --cmd CMD    job runner (default utils/run.pl)"
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -lt 3 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
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
# audiogan denoise takes files or folders: give each job a folder of <utt>.<ext> links.
for j in $(seq "$nj"); do
  python3 -m audiogan.data.datadir link-audio "$data/split${nj}utt/$j" "$dir/input/$j" > /dev/null
done
rm -rf "$dir/wav"
"${runner[@]}" JOB=1:"$nj" "$dir/log/denoise.JOB.log" audiogan denoise -m "$ckpt" "$dir/input/JOB" -o "$dir/wav" "$@"
python3 -m audiogan.data.datadir collect "$data" "$dir/wav" "$dir"
