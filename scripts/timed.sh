#!/usr/bin/env bash
# Runs a command and says what it does and how long it took.
# Usage: scripts/timed.sh "description" command [args...]
set -uo pipefail
what=${1:?usage: timed.sh DESCRIPTION COMMAND...}
shift
printf '==> %s: %s\n' "$what" "$*"
start=$(date +%s)
"$@"
status=$?
elapsed=$(($(date +%s) - start))
if ((status == 0)); then
  printf '<== %s: done in %dm%02ds\n' "$what" $((elapsed / 60)) $((elapsed % 60))
else
  printf '<== %s: FAILED (exit %d) after %dm%02ds\n' "$what" "$status" $((elapsed / 60)) $((elapsed % 60)) >&2
fi
exit "$status"
