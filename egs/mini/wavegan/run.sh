#!/usr/bin/env bash
# WaveGAN on the 10 command words of AUDIOGAN_DATA/speech_commands (1 s clips at 16 kHz, zero-padded
# symmetrically to 16384 samples), with a log-mel CNN classifier for the Inception Score and NDB.
#
#   bash run.sh                                    # paper config (a GPU experiment), all stages
#   bash run.sh --conf conf/wavegan_cpu.yaml       # a small model that trains on a CPU
#   bash run.sh --conf conf/wavegan.debug.yaml     # tiny models, few clips: the CI smoke test
#   bash run.sh --stage 3 --stop-stage 4           # re-run generation and scoring only
#
# Stages: -1 check the corpus, 0 data dirs {train,valid,test} (speaker-disjoint), 1 evaluation classifier,
# 2 WaveGAN training, 3 generation, 4 scoring -> $expdir/RESULTS.md, 5 latent interpolations and the
# listening page, 6 inference-only fp16 copies of the generator and the classifier (built-in models)
set -euo pipefail

stage=-1
stop_stage=6
conf=conf/wavegan.yaml
clf_conf=            # default: conf/classifier.yaml (conf/classifier.debug.yaml with a *.debug.yaml conf)
db_root=             # default: $AUDIOGAN_DATA (see db.sh)
max_per_word=0       # >0: keep N clips per word and split (default 2 with a *.debug.yaml conf)
num_gen=1000         # generated clips to score (default 20 with a *.debug.yaml conf)
ndb_bins=20          # k-means bins of NDB (default 3 with a *.debug.yaml conf)
seed=0               # generation seed
expdir=              # default: exp/<conf name>
device=auto
train_args=          # extra `section.key=value` overrides for audiogan train wavegan
clf_args=            # extra overrides for audiogan train classifier

# shellcheck disable=SC1091
. ./path.sh
# shellcheck disable=SC1091
. ./cmd.sh
# shellcheck disable=SC1091
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh
train_cmd="${train_cmd:-utils/run.pl}"
decode_cmd="${decode_cmd:-utils/run.pl}"
score_cmd="${score_cmd:-utils/run.pl}"

db_root="${db_root:-$AUDIOGAN_DATA}"
tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/$tag}"
if [[ "$conf" == *.debug.yaml ]]; then
  [ "$max_per_word" -gt 0 ] || max_per_word=2
  [ -n "$clf_conf" ] || clf_conf=conf/classifier.debug.yaml
  num_gen=20
  ndb_bins=3
fi
clf_conf="${clf_conf:-conf/classifier.yaml}"
data=data
[ "$max_per_word" -gt 0 ] && data="data/sub${max_per_word}"
clfdir="exp/classifier_$(basename "$clf_conf" .yaml)_$(basename "$data")"

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  echo "stage -1: check the local corpus (nothing to download: it ships with the project)"
  if [ ! -f "$db_root/manifest.tsv" ]; then
    echo "run.sh: $db_root/manifest.tsv not found; set AUDIOGAN_DATA or pass --db_root" >&2
    exit 1
  fi
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data preparation -> $data/{train,valid,test}"
  python3 local/prepare_data.py --manifest "$db_root" --max-per-word "$max_per_word" "$data"
  for split in train valid test; do
    utils/validate_data_dir.sh --no-feats --no-text "$data/$split"
  done
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: evaluation classifier -> $clfdir (log: $clfdir/log/train.log)"
  mkdir -p "$clfdir/log"
  # shellcheck disable=SC2086
  ${train_cmd} "$clfdir/log/train.log" \
    audiogan train classifier --config "$clf_conf" --outdir "$clfdir" \
      "data.train_dir=$data/train" "data.valid_dir=$data/valid" "trainer.device=$device" $clf_args
  echo "held-out accuracy: $(cat "$clfdir/best.json")"
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: WaveGAN training -> $expdir (log: $expdir/log/train.log)"
  mkdir -p "$expdir/log"
  # shellcheck disable=SC2086
  ${train_cmd} "$expdir/log/train.log" \
    audiogan train wavegan --config "$conf" --outdir "$expdir" \
      "data.train_dir=$data/train" "eval.classifier=$clfdir" "trainer.device=$device" $train_args
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  echo "stage 3: generate $num_gen clips -> $expdir/generated/wav"
  rm -rf "$expdir/generated/wav"
  steps/generate.sh --cmd "$decode_cmd" --num "$num_gen" "$expdir" "$expdir/generated" \
    --seed "$seed" --device "$device" --grid "$expdir/generated/grid.png"
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
  audiogan export "$clfdir" "$expdir/export/classifier.pt" --force
fi
