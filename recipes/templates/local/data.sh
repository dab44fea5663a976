#!/usr/bin/env bash
# Stage 0: data dirs <out>/{all,train,test} from a folder of audio files.
#   local/data.sh [--max-utts N] [--test-utts N] [--speaker-from RULE] [--label-from RULE] <corpus-dir> <out>
# Speakers come from the parent folder of each file (--speaker-from; see `audiogan prepare dir --help`).
# <out>/test holds --test-utts utterances evenly spread over the corpus, <out>/train the rest.
set -euo pipefail

max_utts=0
test_utts=10
speaker_from=parent
label_from=""
# shellcheck disable=SC2034
help_message="Usage: $0 [--max-utts N] [--test-utts N] [--speaker-from RULE] [--label-from RULE] <corpus-dir> <out>"
# shellcheck source=/dev/null
. utils/parse_options.sh
if [ $# -ne 2 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
corpus="$1"
out="$2"

args=(--speaker-from "$speaker_from")
[ -z "$label_from" ] || args+=(--label-from "$label_from")
audiogan prepare dir "$corpus" "$out/all" "${args[@]}"
if [ "$max_utts" -gt 0 ]; then
  utils/subset_data_dir.sh --per-spk "$out/all" "$max_utts" "$out/all.small"
  rm -r "$out/all" && mv "$out/all.small" "$out/all"
fi
n=$(wc -l < "$out/all/utt2spk")
[ "$test_utts" -lt "$n" ] || test_utts=$((n / 2))
utils/subset_data_dir.sh "$out/all" "$test_utts" "$out/test"
utils/filter_scp.pl --exclude "$out/test/utt2spk" "$out/all/utt2spk" > "$out/train.list"
utils/subset_data_dir.sh --utt-list "$out/train.list" "$out/all" "$out/train"
rm "$out/train.list"
