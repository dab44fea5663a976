#!/usr/bin/env bash
# Make a data dir consistent like Kaldi's fix_data_dir.sh: sort every table (LC_ALL=C), merge identical
# duplicate lines, keep only utterances present in every utterance table (and whose recording is in
# wav.scp), drop unused recordings and speakers, and rewrite spk2utt. The old tables go to <data>/.backup/.
set -euo pipefail

if [ $# -ne 1 ] || [[ "$1" == -* ]]; then
  echo "Usage: $0 <data-dir>" >&2
  [ "${1:-}" = --help ] && exit 0
  exit 1
fi
exec python3 -m audiogan.data.commands fix "$1"
