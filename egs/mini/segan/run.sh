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
#
# Stages 1-6 are recipes/templates/segan.sh; this file holds the corpus: options, stages -1 and 0.
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
systems="logmmse noisereduce ctfgan model"  # rows of RESULTS.md (recipes/templates/enhance_eval.sh)
baseline_dir=        # baselines' outputs, shared by runs on the same data (default: exp/baselines[_sub<N>])
compare=             # 'label=expdir ...': other models' runs on the same data, as extra rows
train_args=          # extra `section.key=value` overrides for audiogan train
# shellcheck disable=SC2034
help_message="Usage: $0 [--stage N] [--stop-stage N] [--conf YAML] [--db_root DIR] [--max_utts N] [--nj N]
  [--batch_size N] [--device D] [--expdir DIR] [--baseline_dir DIR] [--systems 'model logmmse ...']
  [--compare 'label=expdir ...'] [--train_args 'section.key=value ...']"

download_corpus() {
  echo "stage -1: check the local corpus (nothing to download: it ships with the project)"
  if [ ! -f "$db_root/manifest.tsv" ]; then
    echo "run.sh: $db_root/manifest.tsv not found; set AUDIOGAN_DATA or pass --db_root" >&2
    exit 1
  fi
}

prepare_data() {
  echo "stage 0: data preparation -> $data/{train,dev,test}"
  python3 local/make_lists.py "$db_root" "$data" --max-utts "$max_utts"
  local split noise clean mix split_seed
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
}

. ./path.sh
. ./cmd.sh
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh
db_root="${db_root:-$AUDIOGAN_DATA}"
# shellcheck source=../../../recipes/templates/segan.sh
. "$(readlink -f steps)/../templates/segan.sh"
