#!/usr/bin/env bash
# Score with `audiogan score <kind> ... --json`: the full report goes to <out-dir>/score_<kind>.txt (and
# stdout), the summary JSON (its last line) to <out-dir>/scores_<kind>.json for steps/make_results.sh.
#   steps/score.sh enhancement exp/segan/test --ref data/test --est exp/segan/test --noisy data/test
#   steps/score.sh conversion exp/vc/test --ref data/test_tgt --est exp/vc/test --src data/test
#   steps/score.sh generation exp/wavegan/gen --classifier exp/clf --samples exp/wavegan/gen/wav
set -euo pipefail

utils="$(dirname "$0")/../utils"
cmd="$utils/run.pl"
# shellcheck disable=SC2034
help_message="Usage: $0 [--cmd CMD] <enhancement|conversion|generation> <out-dir> [audiogan score options]
  --cmd CMD    job runner (default utils/run.pl)"
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -lt 2 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
kind="$1"
dir="$2"
shift 2
case "$kind" in enhancement|conversion|generation) ;; *) echo "$0: unknown kind '$kind'" >&2; exit 1 ;; esac
read -ra runner <<< "$cmd"
mkdir -p "$dir"
"${runner[@]}" "$dir/log/score_$kind.log" audiogan score "$kind" "$@" --json \> "$dir/score_$kind.txt"
tail -n 1 "$dir/score_$kind.txt" > "$dir/scores_$kind.json"
if ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dir/scores_$kind.json" 2> /dev/null; then
  echo "$0: the last line of $dir/score_$kind.txt is not JSON" >&2
  exit 1
fi
cat "$dir/score_$kind.txt"
