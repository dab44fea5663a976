#!/usr/bin/env bash
# StarGAN-VC2 many-to-many voice conversion on VCC2016: one model for every speaker of the data.
#
#   bash run.sh                                       # paper config; all 10 speakers of vcc2016_full when present
#   bash run.sh --conf conf/stargan_vc2.cpu.yaml      # the 2-CPU budget run (resumable: re-run to continue)
#   bash run.sh --conf conf/stargan_vc2.debug.yaml    # tiny model, few utterances: the CI smoke test
#
# Data prep (local/data_prep.py) and the WORLD feature commands are the CycleGAN-VC2 recipe's (local/ and the
# *.sh files link there), run for each speaker pair of $pairs. The first $eval_pairs are converted and scored
# both ways: they get the dev/test split (and parallel references); the other speakers train on everything.
# Stages: 0 data dirs, 1 WORLD features + statistics, 2 training, 3 conversion of the test sets, 4 scoring ->
# <expdir>/RESULTS.md, 5 inference-only export.
set -euo pipefail

stage=0
stop_stage=5
conf=conf/stargan_vc2.yaml
db_root=             # default: $AUDIOGAN_DATA
set=                 # manifest set: vcc2016_full when present, else vcc2016 (4 speakers, 30 utterances)
pairs=               # "A:B ..." (default: SF1:TM1 SM1:TF1, plus SF2:TM2 SF3:TM3 SM2:TF2 on vcc2016_full)
eval_pairs=2         # the first N pairs get dev/test sets and are scored
n_dev=               # default 2; 5 with vcc2016_full (the CycleGAN recipe's dev/test split of 2000NN)
n_test=5             # (vcc2016_full tests on its other 44 2000NN evaluation utterances instead)
max_train=0          # >0: at most N training utterances per speaker (4 with a *.debug.yaml config)
f0_method=           # harvest (default) | dio (default with *.debug.yaml)
nj=2
expdir=
device=cpu
train_args=
train_cmd=utils/run.pl
decode_cmd=utils/run.pl
score_cmd=utils/run.pl

# shellcheck disable=SC1091
. ./path.sh; . ./cmd.sh; . ./db.sh; . utils/parse_options.sh

db_root="${db_root:-$AUDIOGAN_DATA}"
if [[ "$conf" == *.debug.yaml ]]; then set="${set:-vcc2016}"; fi  # 4 speakers, 2 test utterances each
[ -n "$set" ] || if [ -d "$db_root/vcc2016_full" ]; then set=vcc2016_full; else set=vcc2016; fi
if [ "$set" = vcc2016_full ]; then n_dev="${n_dev:-5}"; else n_dev="${n_dev:-2}"; fi  # same test set as CycleGAN
if [ -z "$pairs" ]; then
  pairs="SF1:TM1 SM1:TF1"
  [ "$set" = vcc2016_full ] && pairs="$pairs SF2:TM2 SF3:TM3 SM2:TF2"
fi
tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/$tag}"
if [[ "$conf" == *.debug.yaml ]]; then
  [ "$max_train" -gt 0 ] || max_train=4
  f0_method="${f0_method:-dio}"; n_dev=1; n_test=2; nj=1
fi
f0_method="${f0_method:-harvest}"
data="data/$set"    # under data/: never committed (.gitignore)
[ "$max_train" -gt 0 ] && data="${data}_$max_train"
read -ra pair_list <<< "$pairs"
speakers=()
for p in "${pair_list[@]}"; do speakers+=("${p%%:*}" "${p##*:}"); done
# shellcheck disable=SC2086
coded_dim="$(audiogan train stargan_vc2 --config "$conf" --print-config $train_args |
  awk '/^model:/ {m = 1; next} /^[^ ]/ {m = 0} m && $1 == "feature_dim:" {print $2}')"

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data dirs for ${speakers[*]} ($set) -> $data/"
  rm -rf "$data"
  for i in "${!pair_list[@]}"; do
    split=(--n-dev "$n_dev" --n-test "$n_test")
    [ "$i" -lt "$eval_pairs" ] || split=(--n-dev 0 --n-test 0)
    python3 local/data_prep.py "$db_root" "${pair_list[$i]%%:*}" "${pair_list[$i]##*:}" "$data" "${split[@]}" \
      --max-train "$max_train" --non-parallel false --set "$set"
  done
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: WORLD features ($f0_method, $coded_dim dims) and statistics of ${#speakers[@]} speakers"
  for spk in "${speakers[@]}"; do
    d="$data/train_$spk"
    ${train_cmd} JOB=1:"$nj" "$d/log/extract.JOB.log" audiogan features extract --datadir "$d" --part JOB \
      --nparts "$nj" --f0-method "$f0_method" --coded-dim "$coded_dim" --no-progress
    audiogan features merge --datadir "$d" --nparts "$nj"
    audiogan features stats --datadir "$d"
  done
fi

list() {  # list PATTERN: YAML flow list of PATTERN with @ -> each speaker, where it exists: [data/train_SF1,...]
  local found=() spk
  for spk in "${speakers[@]}"; do [ -e "${1//@/$spk}" ] && found+=("${1//@/$spk}"); done
  (IFS=,; echo "[${found[*]}]")
}
if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: training on ${#speakers[@]} speakers -> $expdir (log: $expdir/log/train.log)"
  dev_pairs=()
  for p in "${pair_list[@]:0:$eval_pairs}"; do dev_pairs+=("$p" "${p##*:}:${p%%:*}"); done
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$train_cmd" --conf "$conf" stargan_vc2 "$expdir" \
    "data.train_dirs=$(list "$data/train_@")" "data.stats=$(list "$data/train_@/stats/@.json")" \
    "data.dev_dirs=$(list "$data/dev_@")" "data.dev_pairs=[$(IFS=,; echo "${dev_pairs[*]}")]" \
    "trainer.device=$device" $train_args
  if audiogan train --status "$expdir" --json | grep -q '"stopped_on_budget": true'; then
    echo "run.sh: training stopped at its time budget (trainer.max_minutes); re-run the same command to resume"
    exit 0
  fi
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 3 ]; then
  results="$expdir/RESULTS.md.tmp"
  [ "$stop_stage" -lt 4 ] || : > "$results"
  for p in "${pair_list[@]:0:$eval_pairs}"; do
    for ab in "$p" "${p##*:}:${p%%:*}"; do
      a="${ab%%:*}" b="${ab##*:}" out="$expdir/convert/test_${a}_to_${b}"
      if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
        echo "stage 3: converting test_$a to $b"
        steps/decode_datadir.sh --nj "$nj" --cmd "$decode_cmd" "$data/test_$a" "$out" convert -m "$expdir" \
          --source "$a" --target "$b" -- --device "$device" --no-progress
      fi
      if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
        steps/score.sh --cmd "$score_cmd" conversion "$out" --ref "$data/test_${a}_ref" --est "$out" \
          --src "$data/test_$a" --f0-method "$f0_method" --jobs "$nj" --csv "$out/scores.csv" --no-progress
      fi
    done
    if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then  # the CycleGAN recipe's table, one per pair
      local/results.py "$expdir" "$conf" "${p%%:*}" "${p##*:}" --note "data: $db_root ($set), ${#speakers[@]} \
speakers in one model; F0: $f0_method" | sed "1s/CycleGAN-VC2/StarGAN-VC2 (many-to-many)/" >> "$results"
      echo >> "$results"
    fi
  done
  if [ "$stop_stage" -ge 4 ]; then mv "$results" "$expdir/RESULTS.md"; cat "$expdir/RESULTS.md"; fi
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  echo "stage 5: inference-only fp16 copy (generator, all speakers' statistics) -> $expdir/export/$tag.pt"
  audiogan export "$expdir" "$expdir/export/$tag.pt" --force
fi
