#!/usr/bin/env bash
# Evaluation stages of every enhancement recipe, sourced by recipes/templates/enhance.sh (models trained on
# on-the-fly mixtures) and recipes/templates/segan.sh (SEGAN on fixed mixtures) after their training stages,
# so every enhancement RESULTS.md has the same rows, tables and target check (docs/recipes.md).
#
# Reads: stage, stop_stage, model, conf, tag, expdir, data, baseline_dir, nj, batch_size, device, test_sets,
# systems, compare, and the stage numbers stage_enhance, stage_score, stage_results, stage_export,
# stage_report (two may share a number). Systems ($systems, in row order):
#   model        the recipe's model ($expdir, best checkpoint) -> $expdir/enhanced_<set>
#   logmmse      audiogan denoise --baseline logmmse (package logmmse)      -> $baseline_dir/logmmse_<set>
#   noisereduce  audiogan denoise --baseline noisereduce (spectral gating)   -> $baseline_dir/noisereduce_<set>
#   segan        the SEGAN built-in (builtin:segan-mini-cpu)                 -> $baseline_dir/segan_<set>
#   ctfgan       the default denoiser (builtin:ctfgan-speechmix-cpu)         -> $baseline_dir/ctfgan_<set>
# Baselines and built-ins are made and scored once per test set (stamped with the set's wav.scp checksum) and
# reused by every model's run on the same data; the noisy input is scored once -> $baseline_dir/noisy_<set>.
# shellcheck disable=SC2154  # the options above are assigned in run.sh and the model template
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "$0: a recipe template: source it from a recipe's run.sh (docs/recipes.md)" >&2
  exit 1
fi

builtin_segan="builtin:segan-mini-cpu"
builtin_ctfgan="builtin:ctfgan-speechmix-cpu"
steps="$(readlink -f steps)"

# out-dir of system $1 on test set $2
system_dir() {
  case "$1" in
    model) echo "$expdir/enhanced_$2" ;;
    logmmse|noisereduce|segan|ctfgan) echo "$baseline_dir/$1_$2" ;;
    *) echo "enhance_eval.sh: unknown system '$1' in --systems (model logmmse noisereduce segan ctfgan)" >&2
       return 1 ;;
  esac
}

# what system $1's outputs on set dir $2 are made from: the set's wav.scp and, for a built-in, its weights
# (a retrained built-in is enhanced and scored again)
source_stamp() {
  local weights=""
  case "$1" in
    segan|ctfgan)
      local name="builtin_$1"
      weights="$(python3 -c 'import hashlib, sys; from audiogan.pretrained import BUILTINS
print(hashlib.md5(BUILTINS[sys.argv[1]].path.read_bytes()).hexdigest())' "${!name#builtin:}")" ;;
  esac
  echo "$(md5sum < "$2/wav.scp")${weights:+ $weights}"
}

# true when file $1 exists and was made by system $4 from the current set dir $3 (stamp in $2/.source)
up_to_date() {
  [ -f "$1" ] && [ -f "$2/.source" ] && [ "$(cat "$2/.source")" = "$(source_stamp "$4" "$3")" ]
}

if [ "$stage" -le "$stage_enhance" ] && [ "$stop_stage" -ge "$stage_enhance" ]; then
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
        ctfgan) args=(-m "$builtin_ctfgan") ;;
      esac
      if up_to_date "$dir/wav.scp" "$dir" "$data/$set" "$system"; then
        echo "stage $stage_enhance: $dir is up to date (baseline $system of $data/$set): reused"
        continue
      fi
      echo "stage $stage_enhance: enhance $data/$set -> $dir ($system)"
      rm -f "$dir/.source" "$dir/scores.csv"
      steps/decode_datadir.sh --nj "$nj" --cmd "$decode_cmd" "$data/$set" "$dir" denoise "${args[@]}" -- \
        --quiet
      source_stamp "$system" "$data/$set" > "$dir/.source"
    done
  done
fi

if [ "$stage" -le "$stage_score" ] && [ "$stop_stage" -ge "$stage_score" ]; then
  for set in $test_sets; do
    dir="$baseline_dir/noisy_$set"  # the input, scored once per test set: the "noisy input" row
    if up_to_date "$dir/scores.csv" "$dir" "$data/$set" noisy; then
      echo "stage $stage_score: $dir/scores.csv is up to date: reused"
    else
      echo "stage $stage_score: scoring the input $data/$set -> $dir/scores.csv"
      rm -f "$dir/.source"
      steps/score.sh --cmd "$score_cmd" enhancement "$dir" --ref "$data/$set" --est "$data/$set" \
        --jobs "$nj" --csv "$dir/scores.csv" > /dev/null
      source_stamp noisy "$data/$set" > "$dir/.source"
    fi
    for system in $systems; do
      dir="$(system_dir "$system" "$set")"
      if [ "$system" != model ] && up_to_date "$dir/scores.csv" "$dir" "$data/$set" "$system"; then
        echo "stage $stage_score: $dir/scores.csv is up to date: reused"
        continue
      fi
      echo "stage $stage_score: scoring $dir -> $dir/scores.csv"
      steps/score.sh --cmd "$score_cmd" enhancement "$dir" --ref "$data/$set" --est "$dir" \
        --jobs "$nj" --csv "$dir/scores.csv" > /dev/null
    done
  done
fi

if [ "$stage" -le "$stage_results" ] && [ "$stop_stage" -ge "$stage_results" ]; then
  echo "stage $stage_results: tables -> $expdir/RESULTS.md"
  mkdir -p "$expdir"
  rows=()
  for system in $systems; do
    case "$system" in
      model) ;;  # last row
      logmmse) rows+=(--system "log-MMSE=$baseline_dir/logmmse") ;;
      noisereduce) rows+=(--system "noisereduce=$baseline_dir/noisereduce") ;;
      segan) rows+=(--system "SEGAN built-in ($builtin_segan)=$baseline_dir/segan") ;;
      ctfgan) rows+=(--system "ctfgan built-in ($builtin_ctfgan)=$baseline_dir/ctfgan") ;;
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
  described=""
  for system in $systems; do
    case "$system" in
      logmmse) described+="; log-MMSE (\`audiogan denoise --baseline logmmse\`, package logmmse)" ;;
      noisereduce) described+="; noisereduce (\`--baseline noisereduce\`, PyPI noisereduce, spectral gating with its defaults)" ;;
      segan) described+="; the SEGAN built-in (\`-m $builtin_segan\`)" ;;
      ctfgan) described+="; the default denoiser (\`-m $builtin_ctfgan\`)" ;;
    esac
  done
  note="Rows: the noisy input$described$trained. All scored by \`audiogan score enhancement\` against the clean
references (PESQ wideband P.862.2; DNSMOS P.835 needs no reference)."
  # shellcheck disable=SC2086
  python3 "$steps/enhancement_results.py" --title "$model ($tag) on $data" --note "$note" --data "$data" \
    --noisy "$baseline_dir/noisy" --expdir "$expdir" "${rows[@]}" $test_sets > "$expdir/RESULTS.md.tmp"
  mv "$expdir/RESULTS.md.tmp" "$expdir/RESULTS.md"
  cat "$expdir/RESULTS.md"
fi

if [ "$stage" -le "$stage_export" ] && [ "$stop_stage" -ge "$stage_export" ]; then
  echo "stage $stage_export: inference-only fp16 copy -> $expdir/export/$tag.pt"
  audiogan export "$expdir" "$expdir/export/$tag.pt" --force
fi

if [ "$stage" -le "$stage_report" ] && [ "$stop_stage" -ge "$stage_report" ]; then
  set0="${test_sets%% *}"
  echo "stage $stage_report: listening page for $data/$set0 -> $expdir/report/index.html"
  rows=(--system "noisy=$data/$set0")
  for system in $systems; do
    case "$system" in
      model) ;;  # after the baselines
      logmmse) rows+=(--system "log-MMSE=$baseline_dir/logmmse_$set0") ;;
      noisereduce) rows+=(--system "noisereduce=$baseline_dir/noisereduce_$set0") ;;
      segan) rows+=(--system "SEGAN built-in=$baseline_dir/segan_$set0") ;;
      ctfgan) rows+=(--system "ctfgan built-in=$baseline_dir/ctfgan_$set0") ;;
    esac
  done
  [[ " $systems " == *" model "* ]] && rows+=(--system "$tag=$expdir/enhanced_$set0")
  audiogan report "$expdir" --title "$model ($tag) on $data/$set0" "${rows[@]}" \
    --system "clean=$data/$set0/spk1.scp" -n 8
fi
