#!/usr/bin/env bash
# Test coverage with cargo-llvm-cov: runs the test suite (scripts/test.sh under instrumentation)
# once per backend, merges the results, writes an HTML report and an lcov file, and fails when line
# coverage is below the floor.
#
#   sqlite     the default test run (`cargo test`)
#   postgres   the same tests with TEST_DATABASE_URL set (an admin connection; the tests create and
#              drop their own databases); skipped with a loud note when TEST_DATABASE_URL is unset
#
# Output: coverage/html/index.html, coverage/lcov.info, coverage/summary.txt
# Usage:  scripts/coverage.sh [sqlite] [postgres]        (default: both)
#         scripts/coverage.sh report    only merge + check the data of earlier instrumented runs
#                                       (.ci/run: COVERAGE=1 make test / make test-pg, then this)
#         COVERAGE_FLOOR=80 (percent of lines)
set -euo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"

floor=${COVERAGE_FLOOR:-80}
backends=("$@")
((${#backends[@]})) || backends=(sqlite postgres)

# `report` alone: the suites already ran instrumented (`COVERAGE=1 scripts/test.sh <backend>`, as
# .ci/run's test steps do); only merge and check.
if [[ ${backends[*]} != report ]]; then
  cargo llvm-cov clean --workspace
  ran=0
  for backend in "${backends[@]}"; do
    if [[ $backend == postgres && -z ${TEST_DATABASE_URL:-} ]]; then
      echo "==> coverage: SKIP PostgreSQL (TEST_DATABASE_URL is not set)"
      continue
    fi
    COVERAGE=1 scripts/test.sh "$backend"
    ran=$((ran + 1))
  done
  ((ran > 0)) || { echo "coverage.sh: no backend ran" >&2; exit 1; }
fi

mkdir -p coverage
cargo llvm-cov report --html --output-dir coverage
cargo llvm-cov report --lcov --output-path coverage/lcov.info
# The summary table is printed and kept; the floor is checked on the merged result.
cargo llvm-cov report --summary-only | tee coverage/summary.txt
cargo llvm-cov report --summary-only --fail-under-lines "$floor" >/dev/null ||
  { echo "coverage: line coverage is below the ${floor}% floor" >&2; exit 1; }
lines=$(awk '/^TOTAL/ { print $10 }' coverage/summary.txt)
echo "coverage: ${lines:-?} of lines covered (floor ${floor}%); report: coverage/html/index.html"
