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
exec "$(dirname "$0")/decode_datadir.sh" --nj "$nj" --cmd "$cmd" "$data" "$dir" \
  convert -m "$ckpt" --direction "$direction" -- "$@"
