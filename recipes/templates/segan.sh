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
# expdir, nj, batch_size, device, test_sets, train_args. It sets tag, expdir, data and runs stages -1..6:
#   1 training-window cache -> dump/cache (audiogan cache segan), 2 training -> $expdir (steps/train.sh),
#   3 enhancement of each test set by the model and the log-MMSE baseline, 4 scoring -> $expdir/RESULTS.md
#   (local/results.py), 5 inference-only fp16 copy -> $expdir/export/$tag.pt, 6 listening page.
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
