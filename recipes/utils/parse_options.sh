# shellcheck shell=bash
# Kaldi-compatible option parsing. Source it after setting defaults:
#
#   nj=4; use_gpu=false; help_message="Usage: $0 [--nj N] [--use-gpu true|false] <data>"
#   . utils/parse_options.sh
#
# --foo-bar VALUE (or --foo-bar=VALUE) sets the existing variable foo_bar; an option without such a variable
# is an error naming it. A variable holding true/false accepts only true or false. --config FILE (may repeat)
# is sourced before the other options, so the command line wins over the file. --help prints $help_message
# and exits 0. Parsing stops at the first argument not starting with --, or after "--"; the positional
# arguments are left in "$@".

__po_error() {
  echo "$0: $*" >&2
  exit 1
}

# Pass 1: source every --config FILE first (options before the first positional argument only).
__po_args=("$@")
__po_i=0
while [ "$__po_i" -lt "${#__po_args[@]}" ]; do
  __po_arg="${__po_args[$__po_i]}"
  __po_file=""
  case "$__po_arg" in
    --help|-h) __po_i=$((__po_i + 1)); continue ;;
    --config=*) __po_file="${__po_arg#--config=}"; __po_i=$((__po_i + 1)) ;;
    --config) __po_file="${__po_args[$((__po_i + 1))]:-}"; __po_i=$((__po_i + 2)) ;;
    --) break ;;
    --*=*) __po_i=$((__po_i + 1)); continue ;;
    --*) __po_i=$((__po_i + 2)); continue ;;
    *) break ;;
  esac
  [ -n "$__po_file" ] || __po_error "option --config needs a file name"
  [ -f "$__po_file" ] || __po_error "config file '$__po_file' does not exist"
  # shellcheck disable=SC1090
  . "$__po_file" || __po_error "failed to source config file '$__po_file'"
done

# Pass 2: the options themselves.
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      if [ -n "${help_message:-}" ]; then printf '%s\n' "$help_message"; else echo "$0: no help available"; fi
      exit 0 ;;
    --) shift; break ;;
    --*=*) __po_opt="${1%%=*}"; __po_val="${1#*=}"; shift ;;
    --*)
      __po_opt="$1"
      [ $# -ge 2 ] || __po_error "option $__po_opt needs a value"
      __po_val="$2"; shift 2 ;;
    *) break ;;
  esac
  [ "$__po_opt" = "--config" ] && continue  # already sourced in pass 1
  __po_name="${__po_opt#--}"
  __po_name="${__po_name//-/_}"
  if ! [[ "$__po_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [[ "$__po_name" == __po_* ]] \
     || ! declare -p "$__po_name" >/dev/null 2>&1; then
    __po_error "invalid option $__po_opt (unknown option; see --help)"
  fi
  __po_old="${!__po_name}"
  if { [ "$__po_old" = true ] || [ "$__po_old" = false ]; } && [ "$__po_val" != true ] && [ "$__po_val" != false ]; then
    __po_error "option $__po_opt takes true or false, got '$__po_val'"
  fi
  printf -v "$__po_name" '%s' "$__po_val"
done

unset -v __po_args __po_i __po_arg __po_file __po_opt __po_val __po_name __po_old
unset -f __po_error
true
