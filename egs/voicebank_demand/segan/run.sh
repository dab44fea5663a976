#!/usr/bin/env bash
# SEGAN / SEGAN+ on VoiceBank-DEMAND (Valentini-Botinhao et al. 2017, 28-speaker set): the corpus of the
# SEGAN paper. Train on 26 speakers (p226 and p287 held out as dev), test on the 824 test utterances.
#
#   bash run.sh                                       # download, SEGAN (paper) config, all stages
#   bash run.sh --stage 0 --db_root /data/VCTK-DEMAND # a local copy (48 or 16 kHz), no download
#   bash run.sh --conf conf/segan_plus.yaml           # SEGAN+
#   bash run.sh --stage 3 --stop-stage 4              # re-run inference and scoring only
#
# Stages 1-6 are recipes/templates/segan.sh; this file holds the corpus: options, stages -1 and 0.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
cd "$(dirname "$0")"

stage=-1
stop_stage=6
conf=conf/segan.yaml
db_root=             # default: $VOICEBANK_DEMAND (see db.sh)
max_utts=0           # >0: keep N utterances per set (default 4 with a *.debug.yaml config)
expdir=              # default: exp/<config name>
nj=4                 # parallel jobs (inference, scoring)
batch_size=16        # windows per generator call at inference
device=auto
test_sets="test"  # scored sets; the first gets per-SNR tables
systems="logmmse noisereduce ctfgan model"  # rows of RESULTS.md (recipes/templates/enhance_eval.sh)
baseline_dir=        # baselines' outputs, shared by runs on the same data (default: exp/baselines[_sub<N>])
compare=             # 'label=expdir ...': other models' runs on the same data, as extra rows
train_args=          # extra `section.key=value` overrides for audiogan train
# shellcheck disable=SC2034
help_message="Usage: $0 [--stage N] [--stop-stage N] [--conf YAML] [--db_root DIR] [--max_utts N] [--nj N]
  [--batch_size N] [--device D] [--expdir DIR] [--baseline_dir DIR] [--systems 'model logmmse ...']
  [--compare 'label=expdir ...'] [--train_args 'section.key=value ...']"
wav16k=dump/wav16k
sets="clean_trainset_28spk_wav noisy_trainset_28spk_wav clean_testset_wav noisy_testset_wav"

download_corpus() {
  echo "stage -1: download VoiceBank-DEMAND from Edinburgh DataShare -> $db_root"
  local/download.sh "$db_root"
}

prepare_data() {
  echo "stage 0: resample to 16 kHz -> $wav16k; data dirs -> $data/{train,dev,test}"
  local name split
  for name in $sets; do
    if [ ! -d "$db_root/$name" ]; then
      echo "run.sh: $db_root/$name not found; run stage -1 or pass --db_root" >&2
      exit 1
    fi
    python3 local/resample.py "$db_root/$name" "$wav16k/$name" --rate 16000
  done
  python3 local/data_prep.py "$wav16k" "$data" --max-utts "$max_utts"
  for split in train dev test; do
    utils/validate_data_dir.sh --no-feats --no-text "$data/$split"
  done
}

. ./path.sh
. ./cmd.sh
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh
db_root="${db_root:-$VOICEBANK_DEMAND}"
# shellcheck source=../../../recipes/templates/segan.sh
. "$(readlink -f steps)/../templates/segan.sh"
