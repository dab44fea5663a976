#!/usr/bin/env bash
# __CORPUS__ / __MODEL__ recipe (scaffolded by recipes/setup.sh; conventions in docs/recipes.md).
#
#   ./run.sh                                  # all stages with conf/train.yaml
#   ./run.sh --conf conf/train.debug.yaml     # tiny smoke run (what CI runs)
#   ./run.sh --stage 2 --stop-stage 3         # re-run some stages
#
# Stages: -1 download/check the corpus, 0 data dirs + validation, 1 features/statistics, 2 training
# (resumes), 3 inference, 4 scoring -> RESULTS.md. Every stage can be re-run on its own.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
cd "$(dirname "$0")"

stage=-1
stop_stage=4
conf=conf/train.yaml      # training config (YAML); --config is reserved: parse_options.sh sources it as bash
nj=4                      # parallel jobs for data preparation and inference
test_utts=10              # utterances held out for data/test
max_utts=0                # >0: keep only N utterances per speaker (4 with a *.debug.yaml config)
#>> enhancement
snrs=0,5,10,15            # SNRs (dB) of the noisy mixtures
#<< enhancement
#>> conversion
spk_a=""                  # source speaker (A) and target speaker (B); default: the first two speakers
spk_b=""
#<< conversion
#>> generation
num_samples=100           # clips generated for scoring
classifier=""             # classifier experiment for `audiogan score generation` (empty: skip scoring)
#<< generation
expdir=""                 # default: exp/<config name>
train_args=""             # extra section.key=value overrides for audiogan train
# shellcheck disable=SC2034
help_message="Usage: $0 [options]
  --stage N          first stage to run (-1..4; default -1)
  --stop-stage N     last stage to run (default 4)
  --conf FILE        training config (default conf/train.yaml; conf/train.debug.yaml for a smoke run)
  --nj N             parallel jobs (default 4)
  --test-utts N      utterances held out for testing (default 10)
  --max-utts N       keep N utterances per speaker (default: all; 4 with a *.debug.yaml config)
  --expdir DIR       experiment dir (default exp/<config name>)
  --train-args ARGS  extra section.key=value overrides for training"

. ./path.sh
. ./cmd.sh
. ./db.sh
# shellcheck source=/dev/null
. utils/parse_options.sh

if [ $# -ne 0 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
[ -f "$conf" ] || { echo "$0: no config file $conf" >&2; exit 1; }
tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/$tag}"
debug=false
[[ "$conf" == *.debug.yaml ]] && debug=true
if $debug && [ "$max_utts" -eq 0 ]; then max_utts=4; fi

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  echo "stage -1: corpus check/download -> $corpus"
  local/download.sh "$corpus"
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data dirs -> data/{train,test}"
#>> generation
  local/data.sh --max-utts "$max_utts" --test-utts "$test_utts" --label-from parent "$corpus" data
#<< generation
#>> enhancement
  local/data.sh --max-utts "$max_utts" --test-utts "$test_utts" "$corpus" data/clean
  # Noisy mixtures: wav.scp is noisy, spk1.scp the clean reference (one seed per set, disjoint speech).
  audiogan prepare dir "$noise" data/noise --speaker-from utt
  steps/make_mix.sh --nj "$nj" --snrs "$snrs" --seed 1 data/clean/train data/noise data/train
  steps/make_mix.sh --nj "$nj" --snrs "$snrs" --seed 2 data/clean/test data/noise data/test
#<< enhancement
#>> conversion
  local/data.sh --max-utts "$max_utts" --test-utts "$test_utts" "$corpus" data
  speakers=()
  read -ra speakers <<< "$(cut -d' ' -f1 data/all/spk2utt | tr '\n' ' ')"
  spk_a="${spk_a:-${speakers[0]}}"
  spk_b="${spk_b:-${speakers[1]:-}}"
  [ -n "$spk_b" ] || { echo "$0: conversion needs two speakers" >&2; exit 1; }
  for set in train test; do
    echo "$spk_a" > "data/$set/spk_a.list"
    echo "$spk_b" > "data/$set/spk_b.list"
    utils/subset_data_dir.sh --spk-list "data/$set/spk_a.list" "data/$set" "data/${set}_A"
    utils/subset_data_dir.sh --spk-list "data/$set/spk_b.list" "data/$set" "data/${set}_B"
  done
#<< conversion
#>> none
  local/data.sh --max-utts "$max_utts" --test-utts "$test_utts" "$corpus" data
#<< none
  for d in data/train data/test; do
    utils/validate_data_dir.sh --no-feats --no-text "$d"
  done
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: features and statistics"
  for d in data/train data/test; do
    [ -f "$d/utt2dur" ] || steps/compute_durations.sh --nj "$nj" --cmd "$decode_cmd" "$d"
  done
  # Model-specific features go here, e.g. WORLD features and speaker statistics for CycleGAN-VC2:
  #   audiogan features extract --datadir data/train_A ...; audiogan features stats --datadir data/train_A
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: training -> $expdir (log: $expdir/log/train.log)"
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$train_cmd" --conf "$conf" __MODEL__ "$expdir" $train_args
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
#>> enhancement
  echo "stage 3: enhance data/test -> $expdir/denoise_test"
  steps/denoise.sh --nj "$nj" --cmd "$decode_cmd" "$expdir" data/test "$expdir/denoise_test"
#<< enhancement
#>> conversion
  echo "stage 3: convert data/test_A ($spk_a -> $spk_b) -> $expdir/convert_test_A2B"
  steps/convert.sh --nj "$nj" --cmd "$decode_cmd" --direction A2B "$expdir" data/test_A "$expdir/convert_test_A2B"
#<< conversion
#>> generation
  echo "stage 3: generate $num_samples clips -> $expdir/generate"
  steps/generate.sh --cmd "$decode_cmd" --num "$num_samples" "$expdir" "$expdir/generate"
#<< generation
#>> none
  echo "stage 3: inference (nothing to do for __MODEL__ yet)"
#<< none
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  echo "stage 4: scoring -> $expdir/RESULTS.md"
  results=()
#>> enhancement
  steps/score.sh --cmd "$decode_cmd" enhancement "$expdir/denoise_test" \
    --ref data/test --est "$expdir/denoise_test" --noisy data/test
  results+=("test=$expdir/denoise_test/scores_enhancement.json")
#<< enhancement
#>> conversion
  # Pairs are matched by utterance id or file name: for parallel data make local/data.sh pick the same
  # sentences for both speakers (e.g. --utt-list of ids that share a sentence number).
  steps/score.sh --cmd "$decode_cmd" conversion "$expdir/convert_test_A2B" \
    --ref data/test_B --est "$expdir/convert_test_A2B" --src data/test_A
  results+=("test A2B=$expdir/convert_test_A2B/scores_conversion.json")
#<< conversion
#>> generation
  if [ -n "$classifier" ]; then
    steps/score.sh --cmd "$decode_cmd" generation "$expdir/generate" \
      --classifier "$classifier" --samples "$expdir/generate/wav" --real data/test
    results+=("generated=$expdir/generate/scores_generation.json")
  fi
#<< generation
  if [ ${#results[@]} -gt 0 ]; then
    steps/make_results.sh --title "__CORPUS__ / __MODEL__" --note "config: $conf; experiment: $expdir" \
      "$expdir/RESULTS.md" "${results[@]}"
    # The recipe's RESULTS.md holds full runs only; smoke runs stay in their experiment dir.
    $debug || cp "$expdir/RESULTS.md" RESULTS.md
    cat "$expdir/RESULTS.md"
  else
    echo "stage 4: nothing to score"
  fi
fi
