#!/usr/bin/env bash
# commit-msg hook: Conventional Commits for warden.
#   type(scope)!: subject    types: feat fix docs style refactor perf test build ci chore revert
# `committed` (PyPI `committed`, rules in committed.toml) checks the format, the allowed types, the
# non-empty subject and the missing trailing full stop. Two rules committed does not have are
# checked here first: the type is lower-case (`Feat:` is rejected) and the header (first line) is
# at most 100 characters. Merge messages that git writes itself ("Merge branch ...") are accepted.
# Usage: scripts/lint-commit-msg.sh <commit-message-file>
set -euo pipefail

msg_file=${1:?usage: lint-commit-msg.sh <commit-message-file>}
root=$(git rev-parse --show-toplevel)

# The first line that is not a git comment is the header.
header=$(grep -v '^#' "$msg_file" | sed -n '1p' || true)
case $header in
  "Merge branch "* | "Merge pull request "* | "Merge remote-tracking branch "* | "Merge tag "*) exit 0 ;;
esac

status=0
type=${header%%[(:!]*}
# Only a header shaped like `Type(scope)!:` has a type to check; committed reports the rest.
if [[ $header =~ ^[A-Za-z]+(\(.*\))?!?: && $type =~ [A-Z] ]]; then
  echo "commit message: the type must be lower-case, found '$type'" >&2
  status=1
fi
if ((${#header} > 100)); then
  echo "commit message: the header has ${#header} characters, at most 100 are allowed" >&2
  status=1
fi
committed --config "$root/committed.toml" --commit-file "$msg_file" || status=1
if ((status != 0)); then
  echo "expected: type(scope): subject, e.g. 'feat(api): add user search' (see CONTRIBUTING.md)" >&2
fi
exit "$status"
