#!/usr/bin/env bash
# Shows that scripts/check-ci-parity.py catches a workflow that drifts from .ci/run: the real
# workflow passes; a job that drops a step, a step run by two jobs, an unknown step and a gate
# run outside .ci/run each fail.
set -euo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
workflow=.github/workflows/ci.yml
failures=0

expect() { # pass|fail name file
  local want=$1 name=$2 file=$3 got=pass
  python3 scripts/check-ci-parity.py "$file" >"$work/out" 2>&1 || got=fail
  if [[ $got == "$want" ]]; then
    echo "ok   $name ($got)"
  else
    echo "FAIL $name: expected $want, got $got"; sed 's/^/     /' "$work/out"
    failures=$((failures + 1))
  fi
}
plant() { # name sed-expression -> path of a drifted copy
  sed -E "$2" "$workflow" >"$work/$1.yml"
  if cmp -s "$workflow" "$work/$1.yml"; then echo "FAIL $1: the planted drift changed nothing"; exit 1; fi
  echo "$work/$1.yml"
}

expect pass "the real workflow" "$workflow"
expect fail "a step no job runs" "$(plant dropped 's/CI_STEPS: "tools fuzz"/CI_STEPS: "tools"/')"
expect fail "a step two jobs run" "$(plant twice 's/CI_STEPS: "tools fuzz"/CI_STEPS: "tools fuzz clippy"/')"
expect fail "a step .ci/run lacks" "$(plant unknown 's/CI_STEPS: "tools fuzz"/CI_STEPS: "tools fuzz nightly-fuzz"/')"
expect fail "a gate outside .ci/run" \
  "$(plant outside 's/^( +)- name: \.ci\/run \(tools fuzz\)$/\1- name: extra tests\n\1  run: cargo test --locked\n&/')"

((failures == 0)) || { echo "ci-parity self-test: $failures case(s) failed"; exit 1; }
echo "ci-parity self-test: all cases behave"
