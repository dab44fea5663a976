#!/usr/bin/env bash
# Mix a clean data dir with a noise data dir into an enhancement data dir (wav.scp noisy, spk1.scp clean)
# with nj parallel `audiogan prepare mix` jobs. Every utterance is seeded by (seed, utterance id), so the
# output does not depend on nj: the same arguments give byte-identical files.
set -euo pipefail

utils="$(dirname "$0")/../utils"
nj=4
cmd="$utils/run.pl"
snrs=0,5,10,15
seed=0
snr_mode=active
utts_per_clean=1
sample_rate=""
snr_range=""
mix_args=""
# shellcheck disable=SC2034
help_message="Usage: $0 [options] <clean-data-dir> <noise-data-dir> <out-data-dir>
  --nj N                 parallel jobs (default 4)
  --cmd CMD              job runner (default utils/run.pl)
  --snrs LIST            comma-separated SNRs in dB (default 0,5,10,15)
  --seed S               random seed (default 0)
  --snr-mode MODE        active (default) or utterance
  --utts-per-clean K     mixtures per clean utterance (default 1)
  --sample-rate HZ       resample everything to this rate (default: the clean rate)
  --snr-range LO,HI      draw SNRs uniformly from LO..HI dB (replaces --snrs)
  --mix-args 'ARGS'      more 'audiogan prepare mix' options (--gain-range, --babble, --babble-share,
                         --babble-talkers, --bandlimit-share)
Audio goes to <out-data-dir>/audio/{noisy,clean}/<utt>.wav."
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -ne 3 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
clean="$1"
noise="$2"
out="$3"
[ -f "$clean/utt2spk" ] || { echo "$0: no $clean/utt2spk" >&2; exit 1; }
read -ra runner <<< "$cmd"

n=$(wc -l < "$clean/utt2spk")
[ "$nj" -le "$n" ] || nj="$n"
"$utils/split_data.sh" --per-utt "$clean" "$nj" > /dev/null
extra=()
[ -z "$sample_rate" ] || extra=(--sample-rate "$sample_rate")
if [ -n "$snr_range" ]; then extra+=(--snr-range="$snr_range"); else extra+=(--snrs="$snrs"); fi
read -ra more <<< "$mix_args"
extra+=("${more[@]}")
"${runner[@]}" JOB=1:"$nj" "$out/log/mix.JOB.log" \
  audiogan prepare mix --clean "$clean/split${nj}utt/JOB" --noise "$noise" --seed "$seed" \
    --snr-mode "$snr_mode" --utts-per-clean "$utts_per_clean" "${extra[@]}" --wav-dir "$out/audio" \
    "$out/split$nj/JOB"
parts=()
for j in $(seq "$nj"); do parts+=("$out/split$nj/$j"); done
"$utils/combine_data.sh" "$out" "${parts[@]}" > /dev/null
cp "$out/split$nj/1/mix.yaml" "$out/mix.yaml"
"$utils/validate_data_dir.sh" --no-feats --no-text "$out"
