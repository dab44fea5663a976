#!/usr/bin/env bash
# Split a data dir into N parts <data>/split<N>/{1..N} (with --per-utt: <data>/split<N>utt/{1..N}), each a
# complete data dir (Kaldi-compatible interface). By default no speaker is split across parts; --per-utt
# balances utterance counts instead. Prints the split folder.
set -euo pipefail

per_utt=()
if [ "${1:-}" = --per-utt ]; then per_utt=(--per-utt); shift; fi
if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "Usage: $0 [--per-utt] <data-dir> <num-to-split>" >&2
  exit 1
fi
exec python3 -m audiogan.data.commands split "${per_utt[@]}" "$1" "$2"
