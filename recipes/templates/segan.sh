#!/usr/bin/env bash
# SEGAN / SEGAN+ recipe stages, shared by egs/*/segan/run.sh (docs/recipes.md#model-templates). A corpus's
# run.sh sets its options, sources path.sh, cmd.sh, db.sh and utils/parse_options.sh, defines the
# corpus's own stages as functions and then sources this file:
#
#   download_corpus    stage -1: fetch or check the corpus in $db_root
#   prepare_data       stage 0: enhancement data dirs $data/{train,dev,<test sets>} (wav.scp noisy,
#                      spk1.scp clean)
#
# Options it reads (set in run.sh, changed with --name value): stage, stop_stage, conf, db_root, max_utts,
# expdir, baseline_dir, nj, batch_size, device, test_sets, systems, compare, train_args. It sets tag,
# expdir, data, baseline_dir and runs stages -1..6:
#   1 training-window cache -> dump/cache (audiogan cache segan), 2 training -> $expdir (steps/train.sh),
#   3-6 recipes/templates/enhance_eval.sh (the same rows in every enhancement recipe): 3 enhancement of each
#   test set by each of $systems (the model, log-MMSE, noisereduce, the ctfgan default built-in; baselines
#   made once per test set in $baseline_dir), 4 scoring and $expdir/RESULTS.md
#   (steps/enhancement_results.py), 5 inference-only fp16 copy -> $expdir/export/$tag.pt, 6 listening page.
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
data=data
[ "$max_utts" -gt 0 ] && data="data/sub${max_utts}"
if [ -z "${baseline_dir:-}" ]; then
  baseline_dir=exp/baselines
  [ "$max_utts" -gt 0 ] && baseline_dir="exp/baselines_sub${max_utts}"
fi
systems="${systems:-logmmse noisereduce ctfgan model}"
compare="${compare:-}"

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  download_corpus
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  prepare_data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: cache 16 kHz pre-emphasised training windows -> dump/cache"
  # shellcheck disable=SC2086
  audiogan cache segan --config "$conf" "data.train_dir=$data/train" "data.cache_dir=dump/cache" $train_args
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: training -> $expdir (log: $expdir/log/train.log)"
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$train_cmd" --conf "$conf" segan "$expdir" \
    "data.train_dir=$data/train" "data.dev_dir=$data/dev" "data.cache_dir=dump/cache" $train_args
fi

model=segan
stage_enhance=3 stage_score=4 stage_results=4 stage_export=5 stage_report=6
# shellcheck source=steps/../templates/enhance_eval.sh
. "$(readlink -f steps)/../templates/enhance_eval.sh"
