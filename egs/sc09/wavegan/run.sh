#!/usr/bin/env bash
# WaveGAN on SC09 (Donahue et al. 2019): the ten spoken digits "zero".."nine" of Speech Commands v0.02,
# 1 s clips at 16 kHz zero-padded symmetrically to 16384 samples; official validation/test lists.
#
#   bash run.sh                                  # download, prepare, train (paper config: use a GPU), score
#   bash run.sh --db_root /data/speech_commands_v0.02 --stage 0    # an already extracted copy
#   bash run.sh --stage 3 --stop-stage 4         # re-run generation and scoring only
#
# Stages: -1 download + extract (digits and split lists only), 0 data dirs {train,valid,test},
# 1 evaluation classifier, 2 WaveGAN training, 3 generation, 4 scoring -> $expdir/RESULTS.md,
# 5 latent interpolations and the listening page (6, inference-only copies, with --stop-stage 6).
# Stages 0-6 are recipes/templates/wavegan.sh; this file holds the corpus: options, stages -1 and 0.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
cd "$(dirname "$0")"

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
classifier=          # score with this classifier instead of training one in stage 1 (a checkpoint, an
                     # experiment dir or builtin:NAME)
digits=zero,one,two,three,four,five,six,seven,eight,nine

download_corpus() {
  echo "stage -1: download Speech Commands v0.02 and keep the ten digits -> $db_root"
  if [ -f "$db_root/testing_list.txt" ] && [ -d "$db_root/nine" ]; then
    echo "run.sh: $db_root already holds the digits; skipping the download"
    return
  fi
  mkdir -p downloads "$db_root"
  local tarball d patterns
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
}

prepare_data() {
  if [ ! -f "$db_root/testing_list.txt" ]; then
    echo "run.sh: $db_root/testing_list.txt not found; run stage -1 or pass --db_root" >&2
    exit 1
  fi
  python3 local/prepare_data.py --sc-root "$db_root" --words "$digits" --max-per-word "$max_per_word" "$data"
}

. ./path.sh
. ./cmd.sh
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh
db_root="${db_root:-$SC09_ROOT}"
# shellcheck source=../../../recipes/templates/wavegan.sh
. "$(readlink -f steps)/../templates/wavegan.sh"
