#!/usr/bin/env bash
# SEGAN (the budget config of egs/mini/segan, same model and losses) on speechmix: VCC2016 + asterisk
# prompts + real noises of AUDIOGAN_DATA mixed on the fly for training (audiogan.data.onthefly; SEGAN's
# data.clean_dir/data.noise_dir instead of a window cache); fixed dev/test mixtures with unseen test speakers
# and noises at -5..20 dB, and test_8k (the test set band-limited through 8 kHz). README.md has the stages.
#
#   bash run.sh                                   # conf/segan_cpu.yaml, stages -1..6
#   bash run.sh --stage 1 --data ../ctfgan/data --baseline_dir ../ctfgan/exp/baselines   # share ctfgan's data
#   bash run.sh --stage 2 --stop-stage 4          # re-run inference, scoring and RESULTS.md only
#
# Stages -1/0 are ../ctfgan/local/prepare.sh (shared with ../ctfgan), stages 1-6 recipes/templates/enhance.sh.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
cd "$(dirname "$0")"

stage=-1
stop_stage=6
model=segan
conf=conf/segan_cpu.yaml
db_root=             # default: $AUDIOGAN_DATA (see db.sh)
data=                # data dirs (default: data, or data/sub<N> with --max_utts N)
max_utts=0           # >0: keep N utterances per clean split (default 4 with a *.debug.yaml config)
seed=1
expdir=              # default: exp/<config name>
baseline_dir=        # baselines' outputs, shared by runs on the same data (default: exp/baselines[_sub<N>])
nj=2                 # parallel jobs (inference, scoring)
batch_size=8         # windows per generator call at inference
device=auto
test_sets="test test_8k"                # scored sets; the first gets per-SNR tables and the target check
systems="logmmse noisereduce segan ctfgan model"  # what stages 2-4 enhance and score (baselines are made once)
compare=             # 'label=expdir ...': other models' runs on the same data, as extra rows
train_args=          # extra `section.key=value` overrides for audiogan train
# shellcheck disable=SC2034
help_message="Usage: $0 [--stage N] [--stop-stage N] [--conf YAML] [--db_root DIR] [--data DIR] [--max_utts N]
  [--nj N] [--batch_size N] [--device D] [--expdir DIR] [--baseline_dir DIR] [--systems 'model logmmse ...']
  [--compare 'label=expdir ...'] [--train_args 'section.key=value ...']"

. ./path.sh
. ./cmd.sh
. ./db.sh
# shellcheck disable=SC1091
. utils/parse_options.sh
db_root="${db_root:-$AUDIOGAN_DATA}"
# shellcheck source=../ctfgan/local/prepare.sh
. ../ctfgan/local/prepare.sh
# shellcheck source=../../../recipes/templates/enhance.sh
. "$(readlink -f steps)/../templates/enhance.sh"
