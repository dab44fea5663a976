#!/usr/bin/env bash
# Model-agnostic speech-enhancement recipe stages for a model trained on on-the-fly mixtures, shared by
# egs/*/<model>/run.sh (docs/recipes.md#model-templates). A corpus's run.sh sets its options, sources
# path.sh, cmd.sh, db.sh and utils/parse_options.sh, defines the corpus's own stages as functions and then
# sources this file:
#
#   download_corpus    stage -1: fetch or check the corpus in $db_root
#   prepare_data       stage 0: $data/{train_clean,train_noise} (speech and noise the mixer draws from),
#                      $data/dev and $data/<test sets> (fixed mixtures: wav.scp noisy, spk1.scp clean,
#                      utt2snr)
#
# Options it reads (set in run.sh, changed with --name value): stage, stop_stage, model, conf, data, max_utts,
# expdir, baseline_dir, nj, batch_size, device, test_sets, systems, compare, train_args. It sets tag,
# expdir, data, baseline_dir and runs stages -1..6:
#   1 training -> $expdir (steps/train.sh: audiogan train $model on $data/train_clean + $data/train_noise)
#   2-6 recipes/templates/enhance_eval.sh: 2 enhancement of each test set by each of $systems (the model,
#     logmmse, noisereduce, the segan and ctfgan built-ins; baselines made once per test set and reused),
#   3 scoring (steps/score.sh enhancement: PESQ, STOI, ESTOI, CSIG/CBAK/COVL, SSNR, SI-SDR, DNSMOS P.835)
#     -> <dir>/scores.csv, and of the noisy input once -> $baseline_dir/noisy_<set>
#   4 $expdir/RESULTS.md (steps/enhancement_results.py: overall, per SNR, band-limited set, target check)
#   5 inference-only fp16 copy -> $expdir/export/$tag.pt, 6 listening page -> $expdir/report/index.html
# shellcheck disable=SC2154  # the options above are assigned in run.sh
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "$0: a recipe template: source it from a recipe's run.sh (docs/recipes.md)" >&2
  exit 1
fi

tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/$tag}"
if [ "$max_utts" -eq 0 ] && [[ "$conf" == *.debug.yaml ]]; then
  max_utts=4
fi
if [ -z "$data" ]; then
  data=data
  [ "$max_utts" -gt 0 ] && data="data/sub${max_utts}"
fi
if [ -z "$baseline_dir" ]; then
  baseline_dir=exp/baselines
  [ "$max_utts" -gt 0 ] && baseline_dir="exp/baselines_sub${max_utts}"
fi

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  download_corpus
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  prepare_data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: training $model -> $expdir (log: $expdir/log/train.log)"
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$train_cmd" --conf "$conf" "$model" "$expdir" \
    "data.clean_dir=$data/train_clean" "data.noise_dir=$data/train_noise" "data.dev_dir=$data/dev" \
    "data.cache_dir=$data/cache" $train_args
fi

stage_enhance=2 stage_score=3 stage_results=4 stage_export=5 stage_report=6
# shellcheck source=steps/../templates/enhance_eval.sh
. "$(readlink -f steps)/../templates/enhance_eval.sh"
