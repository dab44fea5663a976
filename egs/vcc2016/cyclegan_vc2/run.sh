#!/usr/bin/env bash
# CycleGAN-VC2 non-parallel voice conversion on VCC2016 (default pair SF1 -> TM1, both directions trained).
#
#   bash run.sh                                        # paper config on $AUDIOGAN_DATA/vcc2016 (30 utts/speaker)
#   bash run.sh --db_root /data/vcc2016                # a full copy: official layout or one folder per speaker
#   bash run.sh --src SM1 --tgt TF1                    # another pair
#   bash run.sh --conf conf/cyclegan_vc2.cpu.yaml      # the 2-CPU-hour budget run (the built-in model)
#   bash run.sh --conf conf/cyclegan_vc2.debug.yaml    # tiny model, few utterances: the CI smoke test
#   bash run.sh --stage 3 --stop-stage 4               # re-run conversion and scoring only
#
# Stages: -1 download (only when db_root holds no VCC2016 data), 0 data dirs, 1 WORLD features + speaker
# statistics, 2 training, 3 conversion of the test sets, 4 scoring -> <expdir>/RESULTS.md, 5 export of an
# inference-only copy (what ships as a built-in model), 6 listening pages -> <expdir>/report/.
set -euo pipefail

stage=-1
stop_stage=6
conf=conf/cyclegan_vc2.yaml
db_root=             # default: $AUDIOGAN_DATA when it has manifest.tsv, else $download_dir
download_dir=downloads/vcc2016
src=SF1
tgt=TM1
n_dev=2              # held-out dev utterances per speaker (converted at every evaluation)
n_test=5             # held-out test utterances (per-speaker layouts; the official one has evaluation_all)
max_train=0          # >0: at most N training utterances per speaker (default 4 with a *.debug.yaml config)
non_parallel=true    # source trains on the first half of the sentences, target on the second half
f0_method=           # harvest | dio (default: harvest; dio with a *.debug.yaml config)
nj=                  # feature extraction, conversion and scoring jobs (default 2; 1 with *.debug.yaml)
expdir=              # default: exp/<config name>_<src>_<tgt>
device=cpu
train_args=          # extra `section.key=value` overrides for audiogan train

train_cmd=utils/run.pl   # job runners: cmd.sh sets them (e.g. for a cluster)
decode_cmd=utils/run.pl
score_cmd=utils/run.pl

# shellcheck disable=SC1091
. ./path.sh
# shellcheck disable=SC1091
. ./cmd.sh
# shellcheck disable=SC1091
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh

if [ -z "$db_root" ]; then
  if [ -f "$AUDIOGAN_DATA/manifest.tsv" ]; then db_root="$AUDIOGAN_DATA"; else db_root="$download_dir"; fi
fi
tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/${tag}_${src}_${tgt}}"
if [[ "$conf" == *.debug.yaml ]]; then
  [ "$max_train" -gt 0 ] || max_train=4
  f0_method="${f0_method:-dio}"
  n_dev=1
  n_test=2
  nj="${nj:-1}"
fi
nj="${nj:-2}"
f0_method="${f0_method:-harvest}"
data=data
[ "$max_train" -gt 0 ] && data="data_${max_train}"
[ -f "$conf" ] || { echo "run.sh: no config $conf" >&2; exit 1; }
# model.feature_dim of the training config (its defaults <- conf <- train_args), the features' dimension
# shellcheck disable=SC2086
coded_dim="$(audiogan train cyclegan_vc2 --config "$conf" --print-config $train_args |
  awk '/^model:/ {m = 1; next} /^[^ ]/ {m = 0} m && $1 == "feature_dim:" {print $2}')"

has_speakers() {  # the official layout, the project corpus (manifest.tsv) or one folder per speaker
  [ -d "$db_root/vcc2016_training/$src" ] || [ -d "$db_root/vcc2016/$src" ] || [ -d "$db_root/$src" ]
}

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  if has_speakers; then
    echo "stage -1: using the local copy in $db_root (nothing to download)"
  else
    echo "stage -1: downloading VCC2016 from Edinburgh DataShare -> $db_root"
    local/download.sh "$db_root"
  fi
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data dirs for $src/$tgt -> $data/"
  has_speakers || { echo "run.sh: no VCC2016 speaker $src under $db_root (run stage -1 or pass --db_root)" >&2; exit 1; }
  rm -rf "$data"
  python3 local/data_prep.py "$db_root" "$src" "$tgt" "$data" --n-dev "$n_dev" --n-test "$n_test" \
    --max-train "$max_train" --non-parallel "$non_parallel"
  for d in "$data"/{train,dev,test}_"$src" "$data"/{train,dev,test}_"$tgt"; do
    [ -d "$d" ] && utils/validate_data_dir.sh --no-feats --no-text "$d"
  done
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: WORLD features ($f0_method, $coded_dim-dim coded envelopes) and speaker statistics"
  for spk in "$src" "$tgt"; do
    d="$data/train_$spk"
    n="$(wc -l < "$d/wav.scp")"
    jobs=$(( nj < n ? nj : n ))
    # shellcheck disable=SC2086
    ${train_cmd} JOB=1:"$jobs" "$d/log/extract.JOB.log" \
      audiogan features extract --datadir "$d" --part JOB --nparts "$jobs" \
        --f0-method "$f0_method" --coded-dim "$coded_dim" --no-progress
    audiogan features merge --datadir "$d" --nparts "$jobs"
    audiogan features stats --datadir "$d"
    utils/validate_data_dir.sh --no-text "$d"
  done
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: training $src <-> $tgt -> $expdir (log: $expdir/log/train.log)"
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$train_cmd" --conf "$conf" cyclegan_vc2 "$expdir" \
      "data.train_a=$data/train_$src" "data.train_b=$data/train_$tgt" \
      "data.stats_a=$data/train_$src/stats/$src.json" "data.stats_b=$data/train_$tgt/stats/$tgt.json" \
      "data.dev_a=$data/dev_$src" "data.dev_b=$data/dev_$tgt" "data.speaker_a=$src" "data.speaker_b=$tgt" \
      "trainer.device=$device" $train_args
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  echo "stage 3: converting the test sets with $expdir"
  steps/convert.sh --nj "$nj" --cmd "$decode_cmd" --direction A2B "$expdir" "$data/test_$src" \
    "$expdir/convert/test_${src}_to_${tgt}" --device "$device" --no-progress
  steps/convert.sh --nj "$nj" --cmd "$decode_cmd" --direction B2A "$expdir" "$data/test_$tgt" \
    "$expdir/convert/test_${tgt}_to_${src}" --device "$device" --no-progress
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  echo "stage 4: scoring (MCD, F0) of converted and unconverted test speech -> $expdir/RESULTS.md"
  for pair in "$src:$tgt" "$tgt:$src"; do
    a="${pair%%:*}"
    b="${pair##*:}"
    out="$expdir/convert/test_${a}_to_${b}"
    steps/score.sh --cmd "$score_cmd" conversion "$out" --ref "$data/test_${a}_ref" --est "$out" \
      --src "$data/test_$a" --f0-method "$f0_method" --jobs "$nj" --csv "$out/scores.csv" --no-progress
  done
  local/results.py "$expdir" "$conf" "$src" "$tgt" \
    --note "data: $db_root; $(wc -l < "$data/train_$src/wav.scp")+$(wc -l < "$data/train_$tgt/wav.scp") training utterances (non_parallel=$non_parallel); F0: $f0_method" \
    > "$expdir/RESULTS.md.tmp"
  mv "$expdir/RESULTS.md.tmp" "$expdir/RESULTS.md"
  cat "$expdir/RESULTS.md"
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  echo "stage 5: inference-only fp16 copy (both generators, speaker statistics) -> $expdir/export/$tag.pt"
  audiogan export "$expdir" "$expdir/export/$tag.pt" --force
fi

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  echo "stage 6: listening page -> $expdir/report/index.html"
  # one page per direction: source / converted / target, the same sentences side by side
  for pair in "$src:$tgt" "$tgt:$src"; do
    a="${pair%%:*}"
    b="${pair##*:}"
    audiogan report "$expdir" --title "CycleGAN-VC2 ($tag): $a -> $b" --system "source $a=$data/test_$a" \
      --system "converted=$expdir/convert/test_${a}_to_${b}" --system "target $b=$data/test_${a}_ref" \
      -n 5 -o "$expdir/report/${a}_to_${b}"
  done
fi
