#!/usr/bin/env bash
# SEGAN / SEGAN+ speech enhancement on a mini corpus built from AUDIOGAN_DATA:
# clean speech (vcc2016, arctic, speech_commands, fsdd) mixed with real and synthetic noises, music,
# animal sounds and babble; train and test noises disjoint, test speakers unseen. Training mixtures are
# augmented (SNR -5..20 dB, random gain, babble of training speakers, a share band-limited through
# 8 kHz); dev/test are mixed at 0/5/10/15 dB, and test_8k is the test set band-limited through 8 kHz.
#
#   bash run.sh --conf conf/segan_cpu.yaml        # the budget model (2 h on 2 CPU cores; the built-in)
#   bash run.sh                                   # SEGAN (paper) config, all stages
#   bash run.sh --conf conf/segan_plus.yaml       # SEGAN+
#   bash run.sh --conf conf/segan.debug.yaml      # tiny model, few utterances: the CI smoke test
#   bash run.sh --stage 3 --stop-stage 4          # re-run inference and scoring only
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
cd "$(dirname "$0")"

stage=-1
stop_stage=6
conf=conf/segan.yaml
db_root=             # default: $AUDIOGAN_DATA (see db.sh)
max_utts=0           # >0: keep N utterances per split (default 4 with a *.debug.yaml config)
snrs=0,5,10,15
train_snr_range=-5,20  # training mixtures draw their SNR from this range (dB)
train_mixes=3          # mixtures per clean training utterance
train_mix_args="--gain-range=-20,0 --babble-share 0.2 --babble-talkers 3,6 --bandlimit-share 0.2"
seed=1
expdir=              # default: exp/<config name>
nj=2                 # parallel jobs (mixing, inference, scoring)
batch_size=8         # windows per generator call at inference
device=auto
test_sets="test test_8k"  # scored sets; the first gets per-SNR tables
train_args=          # extra `section.key=value` overrides for audiogan train
# shellcheck disable=SC2034
help_message="Usage: $0 [--stage N] [--stop-stage N] [--conf YAML] [--db_root DIR] [--max_utts N] [--nj N]
  [--batch_size N] [--device D] [--expdir DIR] [--train_args 'section.key=value ...']"

. ./path.sh
. ./cmd.sh
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh

db_root="${db_root:-$AUDIOGAN_DATA}"
tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/$tag}"
if [ "$max_utts" -eq 0 ] && [[ "$conf" == *.debug.yaml ]]; then
  max_utts=4
fi
data=data
[ "$max_utts" -gt 0 ] && data="data/sub${max_utts}"

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  echo "stage -1: check the local corpus (nothing to download: it ships with the project)"
  if [ ! -f "$db_root/manifest.tsv" ]; then
    echo "run.sh: $db_root/manifest.tsv not found; set AUDIOGAN_DATA or pass --db_root" >&2
    exit 1
  fi
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data preparation -> $data/{train,dev,test}"
  python3 local/make_lists.py "$db_root" "$data" --max-utts "$max_utts"
  for split in train dev test test_8k; do
    noise=noise_train
    clean="$data/clean_$split"
    mix=(--snrs "$snrs")
    case "$split" in
      train) mix=(--snr-range "$train_snr_range" --utts-per-clean "$train_mixes"
                  --mix-args "$train_mix_args --babble $data/clean_train") ;;
      test) noise=noise_test ;;
      test_8k) noise=noise_test; clean="$data/clean_test"; mix+=(--mix-args "--bandlimit-share 1") ;;
    esac
    [ -d "$data/$split" ] && rm -r "${data:?}/$split"
    split_seed=$((seed + ${#split}))
    [ "$split" = test_8k ] && split_seed=$((seed + 4))  # the test draws (noise, SNR), band-limited
    steps/make_mix.sh --nj "$nj" --sample-rate 16000 --seed "$split_seed" "${mix[@]}" \
      "$clean" "$data/$noise" "$data/$split"
  done
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: cache 16 kHz pre-emphasised training windows -> dump/cache"
  # shellcheck disable=SC2086
  python3 -c 'import sys
from audiogan.config import load_config
from audiogan.data.segan import build_cache
from audiogan.tasks.segan import SEGANTask
c = load_config(SEGANTask.default_config(), sys.argv[1], sys.argv[2:])
d = c["data"]
build_cache(d["train_dir"], d["cache_dir"], window=c["model"]["window"], stride=d["stride"],
            preemph=d["preemph"], sample_rate=d["sample_rate"])' \
    "$conf" "data.train_dir=$data/train" "data.cache_dir=dump/cache" $train_args
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: training -> $expdir (log: $expdir/log/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "$expdir/log/train.log" \
    audiogan train segan --config "$conf" --outdir "$expdir" \
      "data.train_dir=$data/train" "data.dev_dir=$data/dev" "data.cache_dir=dump/cache" $train_args
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  for set in $test_sets; do
    echo "stage 3: enhance $data/$set -> $expdir/enhanced_$set (model), $expdir/logmmse_$set (baseline)"
    steps/denoise.sh --nj "$nj" --cmd "$decode_cmd" "$expdir" "$data/$set" "$expdir/enhanced_$set" \
      --batch-size "$batch_size" --device "$device" --quiet
    steps/decode_datadir.sh --nj "$nj" --cmd "$decode_cmd" "$data/$set" "$expdir/logmmse_$set" \
      denoise --baseline logmmse -- --quiet
  done
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  echo "stage 4: scoring -> $expdir/RESULTS.md"
  for set in $test_sets; do
    for system in enhanced logmmse; do
      dir="$expdir/${system}_$set"
      steps/score.sh --cmd "$score_cmd" enhancement "$dir" --ref "$data/$set" --est "$dir" \
        --noisy "$data/$set" --jobs "$nj" --csv "$dir/scores.csv" > /dev/null
    done
  done
  # shellcheck disable=SC2086
  python3 local/results.py "$expdir" "$conf" "$data" $test_sets > "$expdir/RESULTS.md.tmp"
  mv "$expdir/RESULTS.md.tmp" "$expdir/RESULTS.md"
  cat "$expdir/RESULTS.md"
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  echo "stage 5: inference-only fp16 copy -> $expdir/export/$tag.pt"
  audiogan export "$expdir" "$expdir/export/$tag.pt" --force
fi

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  set0="${test_sets%% *}"
  echo "stage 6: listening page for $data/$set0 -> $expdir/report/index.html"
  audiogan report "$expdir" --title "SEGAN ($tag) on $data/$set0" --system "noisy=$data/$set0" \
    --system "log-MMSE=$expdir/logmmse_$set0" --system "$tag=$expdir/enhanced_$set0" \
    --system "clean=$data/$set0/spk1.scp" -n 8
fi
