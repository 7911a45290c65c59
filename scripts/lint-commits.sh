#!/usr/bin/env bash
# Checks every non-merge commit message in a range with the commit-msg rules
# (scripts/lint-commit-msg.sh: committed.toml + lower-case type + header <= 100 characters).
# Usage: scripts/lint-commits.sh <base>..<head>      e.g. scripts/lint-commits.sh origin/main..HEAD
set -euo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"

range=${1:?usage: lint-commits.sh <base>..<head>}
msg=$(mktemp)
list=$(mktemp)
trap 'rm -f "$msg" "$list"' EXIT
git rev-list --no-merges "$range" >"$list"

checked=0
bad=0
while read -r sha; do
  git log -1 --format=%B "$sha" >"$msg"
  checked=$((checked + 1))
  if ! scripts/lint-commit-msg.sh "$msg"; then
    echo "  in commit $(git log -1 --format='%h %s' "$sha")" >&2
    bad=$((bad + 1))
  fi
done <"$list"

echo "commit messages: $((checked - bad)) passed, $bad failed"
((bad == 0))
