#!/usr/bin/env bash
# SEGAN / SEGAN+ on VoiceBank-DEMAND (Valentini-Botinhao et al. 2017, 28-speaker set): the corpus of the
# SEGAN paper. Train on 26 speakers (p226 and p287 held out as dev), test on the 824 test utterances.
#
#   bash run.sh                                       # download, SEGAN (paper) config, all stages
#   bash run.sh --stage 0 --db_root /data/VCTK-DEMAND # a local copy (48 or 16 kHz), no download
#   bash run.sh --conf conf/segan_plus.yaml           # SEGAN+
#   bash run.sh --stage 3 --stop-stage 4              # re-run inference and scoring only
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
train_args=          # extra `section.key=value` overrides for audiogan train
# shellcheck disable=SC2034
help_message="Usage: $0 [--stage N] [--stop-stage N] [--conf YAML] [--db_root DIR] [--max_utts N] [--nj N]
  [--batch_size N] [--device D] [--expdir DIR] [--train_args 'section.key=value ...']"

. ./path.sh
. ./cmd.sh
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh

db_root="${db_root:-$VOICEBANK_DEMAND}"
tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/$tag}"
if [ "$max_utts" -eq 0 ] && [[ "$conf" == *.debug.yaml ]]; then
  max_utts=4
fi
data=data
[ "$max_utts" -gt 0 ] && data="data/sub${max_utts}"
wav16k=dump/wav16k
sets="clean_trainset_28spk_wav noisy_trainset_28spk_wav clean_testset_wav noisy_testset_wav"

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  echo "stage -1: download VoiceBank-DEMAND from Edinburgh DataShare -> $db_root"
  local/download.sh "$db_root"
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: resample to 16 kHz -> $wav16k; data dirs -> $data/{train,dev,test}"
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
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: cache 16 kHz pre-emphasised training windows -> dump/cache"
  # shellcheck disable=SC2086
  python3 -c 'import sys
from audiogan.config import load_config
from audiogan.data.segan import build_cache
from audiogan.tasks.segan import SEGANTask
c = load_config(SEGANTask.default_config(), sys.argv[1], sys.argv[2:])
d = c["data"]
build_cache(d["train_dir"], d["cache_dir"], window=c["model"]["window"], stride=d["stride"],
            preemph=d["preemph"], sample_rate=d["sample_rate"])' \
    "$conf" "data.train_dir=$data/train" "data.cache_dir=dump/cache" $train_args
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: training -> $expdir (log: $expdir/log/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "$expdir/log/train.log" \
    audiogan train segan --config "$conf" --outdir "$expdir" \
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
