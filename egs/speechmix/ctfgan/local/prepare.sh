# shellcheck shell=bash
# Stages -1 and 0 of the speechmix recipes, shared by egs/speechmix/{ctfgan,segan}/run.sh (sourced; paths
# below are relative to this file, so a recipe in another folder can source it too). Reads db_root, data,
# max_utts, seed (set in run.sh) and defines the two functions recipes/templates call:
#   download_corpus  stage -1: check $db_root/manifest.tsv; install and decode the asterisk prompts into
#                    $data/asterisk (apt-get + PyPI G722; a one-line notice where apt is unavailable)
#   prepare_data     stage 0: $data/{train_clean,train_noise,dev,test,test_8k} (local/data_prep.py), validated
# shellcheck disable=SC2154  # db_root, data, max_utts, seed are assigned in run.sh
speechmix_local="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

download_corpus() {
  echo "stage -1: check $db_root; asterisk prompts -> $data/asterisk"
  if [ ! -f "$db_root/manifest.tsv" ]; then
    echo "run.sh: $db_root/manifest.tsv not found; set AUDIOGAN_DATA or pass --db_root" >&2
    exit 1
  fi
  python3 "$speechmix_local/asterisk.py" "$data/asterisk" --install
}

prepare_data() {
  echo "stage 0: data preparation -> $data/{train_clean,train_noise,dev,test,test_8k}"
  local split
  for split in dev test test_8k; do
    [ -d "$data/$split" ] && rm -r "${data:?}/$split"
  done
  python3 "$speechmix_local/data_prep.py" "$data" --db_root "$db_root" --asterisk "$data/asterisk" \
    --max-utts "$max_utts" --seed "${seed:-1}"
  for split in train_clean train_noise dev test test_8k; do
    utils/validate_data_dir.sh --no-feats --no-text "$data/$split"
  done
}
