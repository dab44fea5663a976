#!/usr/bin/env bash
# Write a RESULTS.md from score JSON files (stage 4 of a recipe):
#   steps/make_results.sh [--title T] [--note TEXT] RESULTS.md <label>=<scores.json> [<label>=<scores.json> ...]
# Each JSON object becomes a "| metric | value |" table (nested objects give dotted names; lists are
# left out), headed by its label, below the date, the git commit and the note (e.g. the config used).
set -euo pipefail

utils="$(dirname "$0")/../utils"
title="Results"
note=""
# shellcheck disable=SC2034
help_message="Usage: $0 [--title T] [--note TEXT] <out.md> <label>=<scores.json> ..."
# shellcheck source=/dev/null
. "$utils/parse_options.sh"

if [ $# -lt 2 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
commit="$(git rev-parse --short HEAD 2> /dev/null || echo unknown)"
python3 - "$title" "$note" "$commit" "$@" <<'PY'
import datetime
import json
import os
import sys

title, note, commit, out, *pairs = sys.argv[1:]


def rows(obj, prefix=""):
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from rows(value, name + ".")
        elif isinstance(value, bool) or value is None or isinstance(value, list):
            continue
        elif isinstance(value, float):
            yield name, f"{value:.4g}"
        else:
            yield name, str(value)


lines = [f"# {title}", "", f"- date: {datetime.date.today().isoformat()}", f"- commit: {commit}"]
if note:
    lines.append(f"- {note}")
for pair in pairs:
    label, sep, path = pair.partition("=")
    if not sep:
        sys.exit(f"make_results.sh: expected <label>=<scores.json>, got '{pair}'")
    try:
        with open(path) as f:
            obj = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"make_results.sh: cannot read {path}: {e}")
    lines += ["", f"## {label}", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows(obj if isinstance(obj, dict) else {"value": obj})]
tmp = out + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(lines) + "\n")
os.replace(tmp, out)
print(f"make_results.sh: wrote {out}")
PY
