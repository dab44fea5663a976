# shellcheck shell=bash disable=SC2034
# (variables used by run.sh)
# Where the data lives. The small real-speech set is $AUDIOGAN_DATA (default: <project root>/../shared/data);
# a full corpus defaults to downloads/ in this recipe, where stage -1 expects (or fetches) it. Set
# __CORPUS_VAR__ to use a copy elsewhere.
export AUDIOGAN_DATA="${AUDIOGAN_DATA:-$AUDIOGAN_ROOT/../shared/data}"
corpus="${__CORPUS_VAR__:-__CORPUS_DIR__}"
#>> enhancement
noise="${NOISE_ROOT:-$AUDIOGAN_DATA/noise}"
#<< enhancement
