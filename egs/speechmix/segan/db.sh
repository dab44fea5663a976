# shellcheck shell=bash
# Where the corpora live. AUDIOGAN_DATA holds the small real-speech/noise corpus (manifest.tsv).
AUDIOGAN_DATA="${AUDIOGAN_DATA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)/shared/data}"
export AUDIOGAN_DATA
