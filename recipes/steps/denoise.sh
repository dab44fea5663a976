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
exec "$(dirname "$0")/decode_datadir.sh" --nj "$nj" --cmd "$cmd" "$data" "$dir" denoise -m "$ckpt" -- "$@"
