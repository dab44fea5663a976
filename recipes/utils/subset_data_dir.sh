#!/usr/bin/env bash
# Copy part of a data dir, every table filtered consistently (Kaldi-compatible interface):
#   subset_data_dir.sh [--first|--last|--per-spk|--shortest] <src> <N> <dest>
#   subset_data_dir.sh --utt-list <file> <src> <dest>
#   subset_data_dir.sh --spk-list <file> <src> <dest>
# Without a flag, N utterances evenly spaced over the sorted list are taken. --per-spk takes the first N of
# each speaker; --shortest the N shortest (needs utt2dur). List files hold one id per line (first field).
set -euo pipefail

usage="Usage: $0 [--first|--last|--per-spk|--shortest] <src> <N> <dest>
       $0 --utt-list <file> <src> <dest>
       $0 --spk-list <file> <src> <dest>"
mode=even
list=""
case "${1:-}" in
  --help|-h) echo "$usage"; exit 0 ;;
  --first|--last|--per-spk|--shortest) mode="${1#--}"; shift ;;
  --utt-list|--spk-list) mode="${1#--}"; list="${2:-}"; shift 2 || true ;;
  --*) echo "$0: unknown option $1" >&2; echo "$usage" >&2; exit 1 ;;
esac

if [ -n "$list" ] || [ "$mode" = utt-list ] || [ "$mode" = spk-list ]; then
  if [ $# -ne 2 ] || [ -z "$list" ]; then echo "$usage" >&2; exit 1; fi
  exec python3 -m audiogan.data.commands subset "--$mode" "$list" "$1" "$2"
fi
if [ $# -ne 3 ]; then echo "$usage" >&2; exit 1; fi
if ! [[ "$2" =~ ^[0-9]+$ ]]; then echo "$0: <N> must be a number of utterances, got '$2'" >&2; exit 1; fi
exec python3 -m audiogan.data.commands subset "--$mode" "$2" "$1" "$3"
