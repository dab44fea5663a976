#!/usr/bin/env bash
# CycleGAN-VC2 non-parallel voice conversion on VCC2016 (default pair SF1 -> TM1, both directions trained).
#
#   bash run.sh                                        # paper config on $AUDIOGAN_DATA/vcc2016 (30 utts/speaker)
#   bash run.sh --db_root /data/vcc2016                # a full copy: official layout or one folder per speaker
#   bash run.sh --src SM1 --tgt TF1                    # another pair
#   bash run.sh --conf conf/cyclegan_vc2.cpu.yaml      # the 2-CPU-hour budget run (the built-in model)
#   bash run.sh --conf conf/cyclegan_vc2.debug.yaml    # tiny model, few utterances: the CI smoke test
#   bash run.sh --stage 3 --stop-stage 4               # re-run conversion and scoring only
#   bash run.sh --set vcc2016_full --conf conf/cyclegan_vc2_full.cpu.yaml   # the whole training set (162 utts)
#   bash run.sh --set vcc2016_full --stage 7           # the GMM baseline (parallel) alone
#
# Stages: -1 download (only when db_root holds no VCC2016 data), 0 data dirs, 1 WORLD features + speaker
# statistics, 2 training, 3 conversion of the test sets, 4 scoring -> <expdir>/RESULTS.md, 5 export of an
# inference-only copy (what ships as a built-in model), 6 listening pages -> <expdir>/report/, 7 the
# joint-density GMM baseline (parallel pairs) -> <gmmdir>, its row added to <expdir>/RESULTS.md.
set -euo pipefail

stage=-1
stop_stage=7
conf=conf/cyclegan_vc2.yaml
db_root=             # default: $AUDIOGAN_DATA when it has manifest.tsv, else $download_dir
set=vcc2016          # manifest set of $AUDIOGAN_DATA: vcc2016 (30 utts/speaker) or vcc2016_full (162 + 2000NN)
download_dir=downloads/vcc2016
src=SF1
tgt=TM1
n_dev=               # held-out dev utterances per speaker (default 2; 5 with vcc2016_full, from 2000NN)
n_test=5             # held-out test utterances (per-speaker layouts; the official one has evaluation_all)
max_train=0          # >0: at most N training utterances per speaker (default 4 with a *.debug.yaml config)
non_parallel=true    # true: source trains on the first half of the sentences, target on the second half;
                     # false: both keep every training sentence (still sampled unpaired by the trainer)
f0_method=           # harvest | dio (default: harvest; dio with a *.debug.yaml config)
nj=                  # feature extraction, conversion and scoring jobs (default 2; 1 with *.debug.yaml)
expdir=              # default: exp/<config name>_<src>_<tgt>[_all] (_all: non_parallel=false)
gmmdir=              # default: exp/gmm_<set>_<src>_<tgt>
gmm_mixtures=32      # GMM baseline: mixtures (4 with a *.debug.yaml config)
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
case "$set" in vcc2016|vcc2016_full) ;; *) echo "run.sh: --set must be vcc2016 or vcc2016_full" >&2; exit 1 ;; esac
tag="$(basename "$conf" .yaml)"
suffix=
[ "$non_parallel" = false ] && suffix=_all
expdir="${expdir:-exp/${tag}_${src}_${tgt}${suffix}}"
gmmdir="${gmmdir:-exp/gmm_${set}_${src}_${tgt}}"
gmm_args=()
if [[ "$conf" == *.debug.yaml ]]; then
  [ "$max_train" -gt 0 ] || max_train=4
  f0_method="${f0_method:-dio}"
  n_dev=1
  n_test=2
  nj="${nj:-1}"
  gmm_mixtures=4
  gmm_args=(--max-iter 20)
fi
nj="${nj:-2}"
f0_method="${f0_method:-harvest}"
if [ "$set" = vcc2016_full ]; then n_dev="${n_dev:-5}"; else n_dev="${n_dev:-2}"; fi
[ -f "$conf" ] || { echo "run.sh: no config $conf" >&2; exit 1; }
# model.feature_dim and data.envelope of the training config (its defaults <- conf <- train_args): the
# features' dimension and kind (WORLD-coded envelope or SPTK mel-cepstrum)
# shellcheck disable=SC2086
read -r coded_dim envelope < <(audiogan train cyclegan_vc2 --config "$conf" --print-config $train_args |
  python3 -c 'import sys, yaml; c = yaml.safe_load(sys.stdin); print(c["model"]["feature_dim"], c["data"]["envelope"])')
[ -n "${envelope:-}" ] || { echo "run.sh: could not read model.feature_dim and data.envelope of $conf" >&2; exit 1; }
data=data
[ "$set" = vcc2016_full ] && data=data_full
[ "$max_train" -gt 0 ] && data="${data}_${max_train}"
data="${data}${suffix}"
envelope_args=()  # coded is the extractor's default
[ "$envelope" = coded ] || { data="${data}_${envelope}"; envelope_args=(--envelope "$envelope"); }

mcd_gain=1.5  # the quality target's MCD gain over the unconverted speech (issue 20: 2.0 dB on the full set)
[ "$set" = vcc2016_full ] && mcd_gain=2.0
write_results() {  # <expdir>/RESULTS.md from the scores of stage 4 (and of stage 7's GMM when present)
  local/results.py "$expdir" "$conf" "$src" "$tgt" --gmm "$gmmdir" --mcd-gain "$mcd_gain" \
    --note "data: $db_root ($set); $(wc -l < "$data/train_$src/wav.scp")+$(wc -l < "$data/train_$tgt/wav.scp") training utterances (non_parallel=$non_parallel); $envelope envelopes; F0: $f0_method" \
    > "$expdir/RESULTS.md.tmp"
  mv "$expdir/RESULTS.md.tmp" "$expdir/RESULTS.md"
  cat "$expdir/RESULTS.md"
}

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
    --max-train "$max_train" --non-parallel "$non_parallel" --set "$set"
  for d in "$data"/{train,dev,test}_"$src" "$data"/{train,dev,test}_"$tgt"; do
    [ -d "$d" ] && utils/validate_data_dir.sh --no-feats --no-text "$d"
  done
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: WORLD features ($f0_method, $coded_dim-dim $envelope envelopes) and speaker statistics"
  for spk in "$src" "$tgt"; do
    d="$data/train_$spk"
    n="$(wc -l < "$d/wav.scp")"
    jobs=$(( nj < n ? nj : n ))
    # shellcheck disable=SC2086
    ${train_cmd} JOB=1:"$jobs" "$d/log/extract.JOB.log" \
      audiogan features extract --datadir "$d" --part JOB --nparts "$jobs" \
        --f0-method "$f0_method" --coded-dim "$coded_dim" "${envelope_args[@]}" --no-progress
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
  write_results
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

if [ "$stage" -le 7 ] && [ "$stop_stage" -ge 7 ]; then
  echo "stage 7: joint-density GMM baseline on the parallel training pairs ($gmm_mixtures mixtures) -> $gmmdir"
  # the parallel lists: every training sentence of both speakers (whatever --non_parallel says for the GAN)
  python3 local/data_prep.py "$db_root" "$src" "$tgt" "$data/parallel" --n-dev "$n_dev" --n-test "$n_test" \
    --max-train "$max_train" --non-parallel false --set "$set" > /dev/null
  mkdir -p "$gmmdir/log"
  ${train_cmd} "$gmmdir/log/train.log" \
    nice python3 local/gmm.py train "$data/parallel/train_$src" "$data/parallel/train_$tgt" "$gmmdir/gmm.npz" \
      --mixtures "$gmm_mixtures" --f0-method "$f0_method" --jobs "$nj" --no-progress "${gmm_args[@]}"
  for pair in "$src:$tgt:A2B" "$tgt:$src:B2A"; do
    IFS=: read -r a b direction <<< "$pair"
    out="$gmmdir/convert/test_${a}_to_${b}"
    ${decode_cmd} "$gmmdir/log/convert_$direction.log" \
      python3 local/gmm.py convert "$gmmdir/gmm.npz" "$data/test_$a" "$out/wav" --direction "$direction" \
        --f0-method "$f0_method"
    audiogan data collect "$data/test_$a" "$out/wav" "$out" > /dev/null
    steps/score.sh --cmd "$score_cmd" conversion "$out" --ref "$data/test_${a}_ref" --est "$out" \
      --src "$data/test_$a" --f0-method "$f0_method" --jobs "$nj" --csv "$out/scores.csv" --no-progress
  done
  # the GMM row beside the CycleGAN's, when this experiment has been scored (stage 4)
  if [ -f "$expdir/convert/test_${src}_to_${tgt}/scores_conversion.json" ]; then write_results; fi
fi
