# shellcheck shell=bash
# Where the corpora live. AUDIOGAN_DATA holds the small real-speech corpus (manifest.tsv, vcc2016/<spk>/).
# A full VCC2016 copy (official layout) is passed with --db_root, or downloaded by stage -1.
AUDIOGAN_DATA="${AUDIOGAN_DATA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)/shared/data}"
export AUDIOGAN_DATA
