#!/usr/bin/env bash
# Model-agnostic speech-enhancement recipe stages for a model trained on on-the-fly mixtures, shared by
# egs/*/<model>/run.sh (docs/recipes.md#model-templates). A corpus's run.sh sets its options, sources
# path.sh, cmd.sh, db.sh and utils/parse_options.sh, defines the corpus's own stages as functions and then
# sources this file:
#
#   download_corpus    stage -1: fetch or check the corpus in $db_root
#   prepare_data       stage 0: $data/{train_clean,train_noise} (speech and noise the mixer draws from),
#                      $data/dev and $data/<test sets> (fixed mixtures: wav.scp noisy, spk1.scp clean,
#                      utt2snr)
#
# Options it reads (set in run.sh, changed with --name value): stage, stop_stage, model, conf, data, max_utts,
# expdir, baseline_dir, nj, batch_size, device, test_sets, systems, compare, train_args. It sets tag,
# expdir, data, baseline_dir and runs stages -1..6:
#   1 training -> $expdir (steps/train.sh: audiogan train $model on $data/train_clean + $data/train_noise)
#   2 enhancement of each test set by each of $systems: model -> $expdir/enhanced_<set>; the baselines
#     logmmse, noisereduce (audiogan denoise --baseline) and segan (builtin:segan-mini-cpu) ->
#     $baseline_dir/<system>_<set>, made once per test set and reused by every model's run
#   3 scoring (steps/score.sh enhancement: PESQ, STOI, ESTOI, CSIG/CBAK/COVL, SSNR, SI-SDR, DNSMOS P.835)
#     of each enhanced set -> <dir>/scores.csv, and of the noisy input once -> $baseline_dir/noisy_<set>
#   4 $expdir/RESULTS.md (steps/enhancement_results.py: overall, per SNR, band-limited set, target check)
#   5 inference-only fp16 copy -> $expdir/export/$tag.pt, 6 listening page -> $expdir/report/index.html
# shellcheck disable=SC2154  # the options above are assigned in run.sh
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "$0: a recipe template: source it from a recipe's run.sh (docs/recipes.md)" >&2
  exit 1
fi

tag="$(basename "$conf" .yaml)"
expdir="${expdir:-exp/$tag}"
if [ "$max_utts" -eq 0 ] && [[ "$conf" == *.debug.yaml ]]; then
  max_utts=4
fi
if [ -z "$data" ]; then
  data=data
  [ "$max_utts" -gt 0 ] && data="data/sub${max_utts}"
fi
if [ -z "$baseline_dir" ]; then
  baseline_dir=exp/baselines
  [ "$max_utts" -gt 0 ] && baseline_dir="exp/baselines_sub${max_utts}"
fi
builtin_segan="builtin:segan-mini-cpu"
steps="$(readlink -f steps)"

# out-dir of system $1 on test set $2
system_dir() {
  case "$1" in
    model) echo "$expdir/enhanced_$2" ;;
    logmmse|noisereduce|segan) echo "$baseline_dir/$1_$2" ;;
    *) echo "enhance.sh: unknown system '$1' in --systems (model logmmse noisereduce segan)" >&2; return 1 ;;
  esac
}

# true when file $1 exists and was made from the current $3/wav.scp (stamp $2/.source holds its checksum)
up_to_date() {
  [ -f "$1" ] && [ -f "$2/.source" ] && [ "$(cat "$2/.source")" = "$(md5sum < "$3/wav.scp")" ]
}

if [ "$stage" -le -1 ] && [ "$stop_stage" -ge -1 ]; then
  download_corpus
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  prepare_data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: training $model -> $expdir (log: $expdir/log/train.log)"
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$train_cmd" --conf "$conf" "$model" "$expdir" \
    "data.clean_dir=$data/train_clean" "data.noise_dir=$data/train_noise" "data.dev_dir=$data/dev" \
    "data.cache_dir=$data/cache" $train_args
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  for set in $test_sets; do
    for system in $systems; do
      dir="$(system_dir "$system" "$set")"
      args=()
      case "$system" in
        model) steps/denoise.sh --nj "$nj" --cmd "$decode_cmd" "$expdir" "$data/$set" "$dir" \
                 --batch-size "$batch_size" --device "$device" --quiet
               continue ;;
        logmmse|noisereduce) args=(--baseline "$system") ;;
        segan) args=(-m "$builtin_segan") ;;
      esac
      if up_to_date "$dir/wav.scp" "$dir" "$data/$set"; then
        echo "stage 2: $dir is up to date (baseline $system of $data/$set): reused"
        continue
      fi
      echo "stage 2: enhance $data/$set -> $dir ($system)"
      rm -f "$dir/.source" "$dir/scores.csv"
      steps/decode_datadir.sh --nj "$nj" --cmd "$decode_cmd" "$data/$set" "$dir" denoise "${args[@]}" -- \
        --quiet
      md5sum < "$data/$set/wav.scp" > "$dir/.source"
    done
  done
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  for set in $test_sets; do
    dir="$baseline_dir/noisy_$set"  # the input, scored once per test set: the "noisy input" row
    if up_to_date "$dir/scores.csv" "$dir" "$data/$set"; then
      echo "stage 3: $dir/scores.csv is up to date: reused"
    else
      echo "stage 3: scoring the input $data/$set -> $dir/scores.csv"
      rm -f "$dir/.source"
      steps/score.sh --cmd "$score_cmd" enhancement "$dir" --ref "$data/$set" --est "$data/$set" \
        --jobs "$nj" --csv "$dir/scores.csv" > /dev/null
      md5sum < "$data/$set/wav.scp" > "$dir/.source"
    fi
    for system in $systems; do
      dir="$(system_dir "$system" "$set")"
      if [ "$system" != model ] && up_to_date "$dir/scores.csv" "$dir" "$data/$set"; then
        echo "stage 3: $dir/scores.csv is up to date: reused"
        continue
      fi
      echo "stage 3: scoring $dir -> $dir/scores.csv"
      steps/score.sh --cmd "$score_cmd" enhancement "$dir" --ref "$data/$set" --est "$dir" \
        --jobs "$nj" --csv "$dir/scores.csv" > /dev/null
    done
  done
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  echo "stage 4: tables -> $expdir/RESULTS.md"
  mkdir -p "$expdir"
  rows=()
  for system in $systems; do
    case "$system" in
      model) ;;  # last row
      logmmse) rows+=(--system "log-MMSE=$baseline_dir/logmmse") ;;
      noisereduce) rows+=(--system "noisereduce=$baseline_dir/noisereduce") ;;
      segan) rows+=(--system "SEGAN built-in ($builtin_segan)=$baseline_dir/segan") ;;
    esac
  done
  for pair in $compare; do  # label=expdir of another model's run on the same data (its enhanced_<set>)
    rows+=(--system "${pair%%=*}=${pair#*=}/enhanced")
  done
  trained=""
  if [[ " $systems " == *" model "* ]]; then
    rows+=(--model "$tag=$expdir/enhanced")
    trained="; $tag (\`audiogan train $model --config $conf\`)"
  fi
  note="Rows: the noisy input; log-MMSE (\`audiogan denoise --baseline logmmse\`, package logmmse);
noisereduce (\`--baseline noisereduce\`, PyPI noisereduce, spectral gating with its defaults); the SEGAN
built-in (\`-m $builtin_segan\`)$trained. All scored by
\`audiogan score enhancement\` against the clean references (PESQ wideband P.862.2; DNSMOS P.835 needs no
reference)."
  # shellcheck disable=SC2086
  python3 "$steps/enhancement_results.py" --title "$model ($tag) on $data" --note "$note" --data "$data" \
    --noisy "$baseline_dir/noisy" --expdir "$expdir" "${rows[@]}" $test_sets > "$expdir/RESULTS.md.tmp"
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
  rows=(--system "noisy=$data/$set0")
  for system in $systems; do
    case "$system" in
      model) ;;  # after the baselines
      logmmse) rows+=(--system "log-MMSE=$baseline_dir/logmmse_$set0") ;;
      noisereduce) rows+=(--system "noisereduce=$baseline_dir/noisereduce_$set0") ;;
      segan) rows+=(--system "SEGAN built-in=$baseline_dir/segan_$set0") ;;
    esac
  done
  [[ " $systems " == *" model "* ]] && rows+=(--system "$tag=$expdir/enhanced_$set0")
  audiogan report "$expdir" --title "$model ($tag) on $data/$set0" "${rows[@]}" \
    --system "clean=$data/$set0/spk1.scp" -n 8
fi
