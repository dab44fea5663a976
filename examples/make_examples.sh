#!/usr/bin/env bash
# Rebuild the bundled noisy examples from AUDIOGAN_DATA (../shared/data) with `audiogan prepare mix`.
# Speech: LibriSpeech (CC BY 4.0), held out of every training set; noise: Speech Commands background
# noise (CC BY 4.0), test-side noises of egs/mini/segan (never trained on). See examples/README.md.
#   bash examples/make_examples.sh            # writes examples/*.wav (byte-identical on every run)
set -euo pipefail
cd "$(dirname "$0")"
db="${AUDIOGAN_DATA:-../../shared/data}"
[ -f "$db/manifest.tsv" ] || { echo "make_examples.sh: $db/manifest.tsv not found; set AUDIOGAN_DATA" >&2; exit 1; }
db="$(cd "$db" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# name | speech (reader/utterance) | start end (s) | noise | SNR dB | extra mix options
while read -r name speech start end noise snr extra; do
  mkdir -p "$tmp/$name/clean" "$tmp/$name/noise"
  rec="${speech#*/}"
  printf '%s %s\n' "$rec" "$db/librispeech/$speech.flac" > "$tmp/$name/clean/wav.scp"
  printf '%s %s %s %s\n' "$name" "$rec" "$start" "$end" > "$tmp/$name/clean/segments"
  printf '%s %s\n' "$name" "${speech%%/*}" > "$tmp/$name/clean/utt2spk"
  printf '%s %s\n' "${speech%%/*}" "$name" > "$tmp/$name/clean/spk2utt"
  printf '%s %s\n' "$noise" "$db/noise/$noise.flac" > "$tmp/$name/noise/wav.scp"
  printf '%s noise\n' "$noise" > "$tmp/$name/noise/utt2spk"
  printf 'noise %s\n' "$noise" > "$tmp/$name/noise/spk2utt"
  # shellcheck disable=SC2086
  audiogan prepare mix --clean "$tmp/$name/clean" --noise "$tmp/$name/noise" --snrs "$snr" --seed 1 \
    --sample-rate 16000 $extra "$tmp/$name/mix" > /dev/null
  cp "$tmp/$name/mix/audio/noisy/$name.wav" "$name.wav"
  echo "examples/$name.wav: LibriSpeech $speech [$start-$end s] + $noise at $snr dB ${extra:+($extra)}"
done <<'LIST'
tap_5db 198/198-209-0000 0.0 8.0 sc_running_tap 5
cat_0db 3436/3436-172162-0000 0.0 8.0 sc_dude_miaowing 0
phone_pink_10db 5703/5703-47212-0000 0.0 8.0 sc_pink_noise 10 --bandlimit-share=1
LIST

# A clean female voice for `audiogan convert` (the built-in maps a female voice, SF1, to a male one, TM1):
# LibriSpeech 198 (the same reader as tap_5db.wav), a later part of the same utterance, 8-14 s.
mkdir -p voice
python3 - "$db/librispeech/198/198-209-0000.flac" voice/female_198.wav <<'PY'
import sys

import soundfile as sf

x, sr = sf.read(sys.argv[1], dtype="int16")
sf.write(sys.argv[2], x[8 * sr : 14 * sr], sr, subtype="PCM_16")
PY
echo "examples/voice/female_198.wav: LibriSpeech 198/198-209-0000 [8.0-14.0 s], clean"
