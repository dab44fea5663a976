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
# listening page, 6 inference-only fp16 copies of the generator and the classifier (built-in models).
# Stages 0-6 are recipes/templates/wavegan.sh; this file holds the corpus: options, stages -1 and 0.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
cd "$(dirname "$0")"

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
classifier=          # score with this classifier instead of training one in stage 1 (e.g.
                     # builtin:sc10-word-classifier, trained by this recipe's stage 1 on the same split)

download_corpus() {
  echo "stage -1: check the local corpus (nothing to download: it ships with the project)"
  if [ ! -f "$db_root/manifest.tsv" ]; then
    echo "run.sh: $db_root/manifest.tsv not found; set AUDIOGAN_DATA or pass --db_root" >&2
    exit 1
  fi
}

prepare_data() {
  python3 local/prepare_data.py --manifest "$db_root" --max-per-word "$max_per_word" "$data"
}

. ./path.sh
. ./cmd.sh
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh
db_root="${db_root:-$AUDIOGAN_DATA}"
if [[ "$conf" == *.debug.yaml ]]; then
  [ "$max_per_word" -gt 0 ] || max_per_word=2
  [ -n "$clf_conf" ] || clf_conf=conf/classifier.debug.yaml
  num_gen=20
  ndb_bins=3
fi
# shellcheck source=../../../recipes/templates/wavegan.sh
. "$(readlink -f steps)/../templates/wavegan.sh"
