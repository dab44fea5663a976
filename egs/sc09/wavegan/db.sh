# shellcheck shell=bash
# Where Speech Commands v0.02 is (or goes): stage -1 downloads and extracts it under $SC09_ROOT
# unless it is already there; pass --db_root to use an existing extracted copy instead.
SC09_ROOT="${SC09_ROOT:-downloads/speech_commands_v0.02}"
export SC09_ROOT
