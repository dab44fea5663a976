#!/usr/bin/env bash
# Download and unpack the 28-speaker VoiceBank-DEMAND corpus (Valentini-Botinhao et al. 2017) from
# Edinburgh DataShare, https://datashare.ed.ac.uk/handle/10283/2791 (CC BY 4.0). About 2.5 GB.
# Usage: local/download.sh DB_ROOT
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "Usage: $0 DB_ROOT" >&2
  exit 1
fi
db_root=$1
base=https://datashare.ed.ac.uk/bitstream/handle/10283/2791
mkdir -p "$db_root"
for name in clean_trainset_28spk_wav noisy_trainset_28spk_wav clean_testset_wav noisy_testset_wav; do
  if [ -d "$db_root/$name" ]; then
    echo "$0: $db_root/$name exists, skipping"
    continue
  fi
  if [ ! -f "$db_root/$name.zip" ]; then
    if command -v wget > /dev/null; then
      wget --continue -O "$db_root/$name.zip.part" "$base/$name.zip"
    else
      curl -L --fail -C - -o "$db_root/$name.zip.part" "$base/$name.zip"
    fi
    mv "$db_root/$name.zip.part" "$db_root/$name.zip"
  fi
  unzip -q -o "$db_root/$name.zip" -d "$db_root"
  [ -d "$db_root/$name" ] || { echo "$0: $name.zip did not unpack to $db_root/$name" >&2; exit 1; }
done
echo "$0: VoiceBank-DEMAND is in $db_root"
