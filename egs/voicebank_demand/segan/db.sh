# shellcheck shell=bash
# Where the Valentini et al. (2017) VoiceBank-DEMAND 28-speaker corpus lives (downloaded by stage -1, or
# your own copy: pass --db_root). The 16 kHz copies are written beside the original 48 kHz folders.
VOICEBANK_DEMAND="${VOICEBANK_DEMAND:-downloads/VCTK-DEMAND}"
export VOICEBANK_DEMAND
