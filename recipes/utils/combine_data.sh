#!/usr/bin/env bash
# Combine data dirs into one (Kaldi-compatible interface): combine_data.sh <dest> <src1> <src2> ...
# Tables present in every source are concatenated and sorted; the others are left out (named on stderr).
# An id present in two sources with different values is an error. Sources without segments get
# whole-recording segments when another source has them.
set -euo pipefail

if [ $# -lt 2 ] || [[ "$1" == -* ]]; then
  echo "Usage: $0 <dest-data-dir> <src-data-dir1> [<src-data-dir2> ...]" >&2
  [ "${1:-}" = --help ] && exit 0
  exit 1
fi
exec python3 -m audiogan.data.commands combine "$@"
