#!/usr/bin/env bash
# WaveGAN recipe stages, shared by egs/*/wavegan/run.sh (docs/recipes.md#model-templates). A corpus's
# run.sh sets its options, sources path.sh, cmd.sh, db.sh and utils/parse_options.sh, defines the
# corpus's own stages as functions and then sources this file:
#
#   download_corpus    stage -1: fetch or check the corpus in $db_root
#   prepare_data       stage 0: labelled data dirs $data/{train,valid,test} (utt2label: the word);
#                      this file validates them
#
# Options it reads (set in run.sh, changed with --name value): stage, stop_stage, conf, clf_conf, db_root,
# max_per_word, num_gen, ndb_bins, seed, expdir, device, train_args, clf_args and (optional) classifier.
# It sets tag, expdir, data, clfdir and runs stages -1..6: 1 evaluation classifier -> $clfdir (skipped
# when `classifier` names one: a checkpoint, an experiment dir or builtin:NAME), 2 WaveGAN training -> $expdir
# (both steps/train.sh), 3 generation of $num_gen clips, 4 scoring (Inception Score, NDB) ->
# $expdir/RESULTS.md (local/results.py), 5 latent interpolations and the listening page, 6 inference-only
# fp16 copies of the generator and the classifier.
# shellcheck disable=SC2154  # the options above are assigned in run.sh
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "$0: a recipe template: source it from a recipe's run.sh (docs/recipes.md)" >&2
  exit 1
fi

train_cmd="${train_cmd:-utils/run.pl}"
decode_cmd="${decode_cmd:-utils/run.pl}"
score_cmd="${score_cmd:-utils/run.pl}"
tag="$(basename "$conf" .yaml)"
# the family and the classes come from the config: `task: specgan` trains SpecGAN (default wavegan), and
# `num_classes: N` (N > 0) a class-conditional model, whose stage 3 writes num_gen/N clips per word into
# $expdir/generated/wav/<word>/ (the layout `audiogan score generation` reads as requested words)
family="$(sed -n 's/^task: *\([a-z_0-9]*\).*/\1/p' "$conf" | head -n 1)"
family="${family:-wavegan}"
num_classes="$(sed -n 's/^ *num_classes: *\([0-9]*\).*/\1/p' "$conf" | head -n 1)"
num_classes="${num_classes:-0}"
gen_num="$num_gen"
word_args=()
if [ "$num_classes" -gt 0 ]; then
  gen_num="$(( (num_gen + num_classes - 1) / num_classes ))"
  word_args=(--word all)
fi
expdir="${expdir:-exp/$tag}"
clf_conf="${clf_conf:-conf/classifier.yaml}"
data=data
[ "$max_per_word" -gt 0 ] && data="data/sub${max_per_word}"
clfdir="${classifier:-exp/classifier_$(basename "$clf_conf" .yaml)_$(basename "$data")}"

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  download_corpus
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data preparation -> $data/{train,valid,test}"
  prepare_data
  for split in train valid test; do
    utils/validate_data_dir.sh --no-feats --no-text "$data/$split"
  done
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ] && [ -n "${classifier:-}" ]; then
  echo "stage 1: skipped: scoring with the given classifier $classifier"
elif [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: evaluation classifier -> $clfdir (log: $clfdir/log/train.log)"
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$train_cmd" --conf "$clf_conf" classifier "$clfdir" \
    "data.train_dir=$data/train" "data.valid_dir=$data/valid" "trainer.device=$device" $clf_args
  echo "held-out accuracy: $(cat "$clfdir/best.json")"
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: $family training -> $expdir (log: $expdir/log/train.log)"
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$train_cmd" --conf "$conf" "$family" "$expdir" \
    "data.train_dir=$data/train" "eval.classifier=$clfdir" "trainer.device=$device" $train_args
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  echo "stage 3: generate $num_gen clips -> $expdir/generated/wav"
  rm -rf "$expdir/generated/wav"
  steps/generate.sh --cmd "$decode_cmd" --num "$gen_num" "$expdir" "$expdir/generated" \
    --seed "$seed" --device "$device" --grid "$expdir/generated/grid.png" "${word_args[@]}"
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  echo "stage 4: scoring -> $expdir/RESULTS.md"
  ${score_cmd} "$expdir/log/score.log" \
    audiogan score generation --classifier "$clfdir" --samples "$expdir/generated/wav" \
      --real "$data/test" --ndb-bins "$ndb_bins" --device "$device" --json
  grep '^{' "$expdir/log/score.log" | tail -n 1 > "$expdir/scores.json"
  python3 local/results.py "$expdir/scores.json" "$clfdir" "$expdir" "$conf" "$data" > "$expdir/RESULTS.md.tmp"
  mv "$expdir/RESULTS.md.tmp" "$expdir/RESULTS.md"
  cat "$expdir/RESULTS.md"
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  echo "stage 5: latent interpolations and the listening page -> $expdir/report/index.html"
  rm -rf "$expdir/interpolations"
  audiogan generate -m "$expdir" -n 4 --interpolate 8 --seed "$seed" -o "$expdir/interpolations" \
    --grid "$expdir/interpolations/grid.png" --device "$device"
  audiogan report "$expdir" --title "WaveGAN ($(basename "$conf" .yaml))" --unpaired -n 8 \
    --system "real (test)=$data/test" --system "generated=$expdir/generated/wav" \
    --image "generated samples=$expdir/generated/grid.png" \
    --image "latent interpolations (4 paths, 8 steps each)=$expdir/interpolations/grid.png"
fi

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  echo "stage 6: inference-only fp16 copies -> $expdir/export/{wavegan,classifier}.pt"
  audiogan export "$expdir" "$expdir/export/wavegan.pt" --force
  if [[ "$clfdir" != builtin:* ]]; then
    audiogan export "$clfdir" "$expdir/export/classifier.pt" --force
  fi
fi
