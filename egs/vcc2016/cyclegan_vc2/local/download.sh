#!/usr/bin/env bash
# Download and unpack the VCC2016 training and evaluation sets from Edinburgh DataShare
# (https://datashare.ed.ac.uk/handle/10283/2211) into <dir>:
#   <dir>/vcc2016_training/<spk>/1000NN.wav   (162 utterances per speaker)
#   <dir>/evaluation_all/<spk>/2000NN.wav     (54 utterances per speaker)
set -euo pipefail

if [ $# -ne 1 ]; then echo "Usage: $0 <download-dir>" >&2; exit 1; fi
dir="$1"
base=https://datashare.ed.ac.uk/bitstream/handle/10283/2211
mkdir -p "$dir"
for name in vcc2016_training evaluation_all; do
  if [ -d "$dir/$name" ]; then
    echo "$0: $dir/$name exists, skipping"
    continue
  fi
  if command -v wget > /dev/null; then
    wget -c -O "$dir/$name.zip" "$base/$name.zip"
  else
    curl -fL -C - -o "$dir/$name.zip" "$base/$name.zip"
  fi
  unzip -q -o "$dir/$name.zip" -d "$dir"
  [ -d "$dir/$name" ] || { echo "$0: $dir/$name.zip did not unpack to $dir/$name" >&2; exit 1; }
done
echo "$0: VCC2016 is in $dir"
