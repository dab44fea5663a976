#!/usr/bin/env bash
# Write <data>/utt2dur (seconds per utterance) with nj parallel jobs.
# Durations come from audio headers, from segments, or by running wav.scp pipes.
set -euo pipefail

utils="$(dirname "$0")/../utils"
nj=4
cmd="$utils/run.pl"
# shellcheck disable=SC2034
help_message="Usage: $0 [--nj N] [--cmd CMD] <data-dir> [<log-dir>]
  --nj N       parallel jobs (default 4; at most one per utterance)
  --cmd CMD    job runner (default utils/run.pl; e.g. 'slurm.pl --mem 2G')
Writes <data-dir>/utt2dur; logs go to <log-dir> (default <data-dir>/log)."
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
data="$1"
logdir="${2:-$data/log}"
[ -f "$data/utt2spk" ] || { echo "$0: no $data/utt2spk" >&2; exit 1; }
read -ra runner <<< "$cmd"

n=$(wc -l < "$data/utt2spk")
[ "$nj" -le "$n" ] || nj="$n"
"$utils/split_data.sh" --per-utt "$data" "$nj" > /dev/null
sdata="$data/split${nj}utt"
"${runner[@]}" JOB=1:"$nj" "$logdir/utt2dur.JOB.log" audiogan data utt2dur "$sdata/JOB"
for j in $(seq "$nj"); do cat "$sdata/$j/utt2dur"; done | LC_ALL=C sort > "$data/utt2dur.tmp"
mv "$data/utt2dur.tmp" "$data/utt2dur"
echo "$0: wrote $data/utt2dur ($(wc -l < "$data/utt2dur") utterances)"
