#!/usr/bin/env bash
# Check a data dir like Kaldi's validate_data_dir.sh: tables sorted (LC_ALL=C) with unique ids; utt2spk and
# spk2utt agree; utterance ids start with their speaker id; wav.scp (or segments), text, feats.scp, utt2dur
# and every other utt2*/spk2*/reco2*/*.scp table cover exactly the same utterances/speakers/recordings.
# Prints one line and exits 1 at the first problem.
set -euo pipefail

usage="Usage: $0 [--no-feats] [--no-text] [--no-wav] <data-dir>
  --no-feats   feats.scp is not required (checked if present)
  --no-text    text is not required (checked if present)
  --no-wav     wav.scp is not required (checked if present)"
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-feats|--no-text|--no-wav) flags+=("$1"); shift ;;
    --help|-h) echo "$usage"; exit 0 ;;
    --*) echo "$0: unknown option $1" >&2; echo "$usage" >&2; exit 1 ;;
    *) break ;;
  esac
done
if [ $# -ne 1 ]; then echo "$usage" >&2; exit 1; fi

exec python3 -m audiogan.data.commands validate "${flags[@]}" "$1"
