#!/usr/bin/env bash
# Stage -1: make sure the corpus is there. Data in $AUDIOGAN_DATA ships beside the project; a full corpus
# is expected under downloads/ (add the download commands for your corpus here).
set -euo pipefail
if [ $# -ne 1 ]; then echo "Usage: $0 <corpus-dir>" >&2; exit 1; fi
corpus="$1"
if [ -d "$corpus" ] && [ -n "$(find -L "$corpus" -type f \( -name '*.wav' -o -name '*.flac' -o -name '*.ogg' \) -print -quit)" ]; then
  echo "$0: corpus found in $corpus"
  exit 0
fi
echo "$0: no audio files in '$corpus'. Put the corpus there (or set the variable in db.sh);" \
  "for the small real-speech set set AUDIOGAN_DATA to the folder holding manifest.tsv." >&2
exit 1
