#!/usr/bin/env bash
# WaveGAN on SC09 (Donahue et al. 2019): the ten spoken digits "zero".."nine" of Speech Commands v0.02,
# 1 s clips at 16 kHz zero-padded symmetrically to 16384 samples; official validation/test lists.
#
#   bash run.sh                                  # download, prepare, train (paper config: use a GPU), score
#   bash run.sh --db_root /data/speech_commands_v0.02 --stage 0    # an already extracted copy
#   bash run.sh --stage 3 --stop-stage 4         # re-run generation and scoring only
#
# Stages: -1 download + extract (digits and split lists only), 0 data dirs {train,valid,test},
# 1 evaluation classifier, 2 WaveGAN training, 3 generation, 4 scoring -> $expdir/RESULTS.md
set -euo pipefail

stage=-1
stop_stage=5
conf=conf/wavegan.yaml
clf_conf=conf/classifier.yaml
db_root=             # extracted Speech Commands v0.02 (default: $SC09_ROOT, see db.sh)
url=http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz
max_per_word=0       # >0: keep N clips per digit and split (quick tests)
num_gen=1000         # generated clips to score
ndb_bins=20
seed=0
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

db_root="${db_root:-$SC09_ROOT}"
digits=zero,one,two,three,four,five,six,seven,eight,nine
tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/$tag}"
data=data
[ "$max_per_word" -gt 0 ] && data="data/sub${max_per_word}"
clfdir="exp/classifier_$(basename "$clf_conf" .yaml)_$(basename "$data")"

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  echo "stage -1: download Speech Commands v0.02 and keep the ten digits -> $db_root"
  if [ -f "$db_root/testing_list.txt" ] && [ -d "$db_root/nine" ]; then
    echo "run.sh: $db_root already holds the digits; skipping the download"
  else
    mkdir -p downloads "$db_root"
    tarball="downloads/$(basename "$url")"
    if [ ! -s "$tarball" ]; then
      if command -v wget > /dev/null; then
        wget -c -O "$tarball.part" "$url"
      else
        curl -fL -C - -o "$tarball.part" "$url"
      fi
      mv "$tarball.part" "$tarball"
    fi
    # only the digit folders and the split lists (patterns match members with or without a leading ./)
    patterns=('*testing_list.txt' '*validation_list.txt')
    for d in ${digits//,/ }; do patterns+=("*$d/*"); done
    tar -xzf "$tarball" -C "$db_root" --wildcards "${patterns[@]}"
  fi
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data preparation -> $data/{train,valid,test}"
  if [ ! -f "$db_root/testing_list.txt" ]; then
    echo "run.sh: $db_root/testing_list.txt not found; run stage -1 or pass --db_root" >&2
    exit 1
  fi
  python3 local/prepare_data.py --sc-root "$db_root" --words "$digits" --max-per-word "$max_per_word" "$data"
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
