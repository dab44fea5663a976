#!/usr/bin/env bash
# Scaffold a new recipe from recipes/templates (conventions: docs/recipes.md):
#
#   recipes/setup.sh [--model NAME] [--kind KIND] [--corpus NAME] [--corpus-dir DIR] egs/<corpus>/<model>
#
# Writes run.sh, path.sh, cmd.sh, db.sh, local/{data,download}.sh, conf/train.yaml (the model's full default
# config when the model is built) and conf/train.debug.yaml, plus relative symlinks utils -> recipes/utils and
# steps -> recipes/steps. KIND (enhancement, conversion, generation or none) picks the inference and scoring
# stages; by default it follows the model (segan, cyclegan_vc2, wavegan). An existing recipe is never
# overwritten.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
model=""
kind=""
corpus=""
corpus_dir=""
# shellcheck disable=SC2034
help_message="Usage: $0 [options] <new-recipe-dir>
  --model NAME       model to train (default: the recipe dir's name), e.g. segan, cyclegan_vc2, wavegan
  --kind KIND        enhancement | conversion | generation | none (default: from the model)
  --corpus NAME      corpus name (default: the parent dir's name)
  --corpus-dir DIR   default corpus location written to db.sh (default: \$AUDIOGAN_DATA/<corpus> when that
                     exists, else downloads/<corpus>)"
# shellcheck source=/dev/null
. "$here/utils/parse_options.sh"

if [ $# -ne 1 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
dir="$1"
if [ -e "$dir/run.sh" ]; then echo "$0: $dir/run.sh already exists; not overwriting" >&2; exit 1; fi
abs="$(realpath -m "$dir")"
model="${model:-$(basename "$abs")}"
corpus="${corpus:-$(basename "$(dirname "$abs")")}"
if [ -z "$kind" ]; then
  case "$model" in
    segan*) kind=enhancement ;;
    cyclegan*) kind=conversion ;;
    wavegan*) kind=generation ;;
    *) kind=none ;;
  esac
fi
case "$kind" in enhancement|conversion|generation|none) ;; *)
  echo "$0: --kind must be enhancement, conversion, generation or none, got '$kind'" >&2; exit 1 ;;
esac
if ! [[ "$model" =~ ^[A-Za-z0-9_]+$ ]]; then echo "$0: invalid model name '$model'" >&2; exit 1; fi
corpus_var="$(printf '%s' "$corpus" | tr '[:lower:]' '[:upper:]' | tr -c 'A-Z0-9' '_')_ROOT"
if [ -z "$corpus_dir" ]; then
  data="${AUDIOGAN_DATA:-$here/../../shared/data}"
  if [ -d "$data/$corpus" ]; then
    corpus_dir="\$AUDIOGAN_DATA/$corpus"
  else
    corpus_dir="downloads/$corpus"
  fi
fi

# Copy one template: keep the "#>> $kind" ... "#<< $kind" blocks of the chosen kind, fill the placeholders.
render() {
  local src="$1" dest="$2" text
  text="$(awk -v kind="$kind" '
    /^#>> / { inblock = 1; keep = ($2 == kind); next }
    /^#<< / { inblock = 0; next }
    !inblock || keep { print }' "$src")"
  text="${text//__CORPUS_VAR__/"$corpus_var"}"
  text="${text//__CORPUS_DIR__/"$corpus_dir"}"
  text="${text//__CORPUS__/"$corpus"}"
  text="${text//__MODEL__/"$model"}"
  printf '%s\n' "$text" > "$dest"
  if [ -x "$src" ]; then chmod +x "$dest"; fi
}

mkdir -p "$dir/conf" "$dir/local"
for f in run.sh path.sh cmd.sh db.sh local/data.sh local/download.sh conf/train.debug.yaml; do
  render "$here/templates/$f" "$dir/$f"
done
rel="$(realpath --relative-to="$abs" "$here")"
ln -sfn "$rel/utils" "$dir/utils"
ln -sfn "$rel/steps" "$dir/steps"
if defaults="$(audiogan train "$model" --print-config 2> /dev/null)"; then
  { echo "# $model training config: the full defaults, written by recipes/setup.sh. Edit freely; unknown keys"
    echo "# are errors. Data paths are usually set here (data.*) or passed by run.sh as overrides."
    printf '%s\n' "$defaults"; } > "$dir/conf/train.yaml"
else
  { echo "# $model training config (the model was not built when this recipe was scaffolded)."
    echo "# Only keys that differ from the defaults are needed; see: audiogan train $model --print-config"
    echo "{}"; } > "$dir/conf/train.yaml"
fi
echo "$0: scaffolded $dir (model $model, kind $kind, corpus $corpus at $corpus_dir)"
echo "$0: next: edit $dir/local/data.sh and $dir/conf/train.yaml, then: (cd $dir && ./run.sh --conf conf/train.debug.yaml)"
