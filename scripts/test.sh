#!/usr/bin/env bash
# The one test command: `make test` (SQLite) and `make test-pg` (PostgreSQL) call it, and so does
# .ci/run. Each backend runs the whole suite once.
#
#   scripts/test.sh sqlite       the suite on the embedded SQLite (TEST_DATABASE_URL is ignored)
#   scripts/test.sh postgres     the suite on PostgreSQL: TEST_DATABASE_URL is an admin connection
#                                (default postgres://postgres@127.0.0.1:5432/postgres); every test
#                                creates and drops its own database
#
# COVERAGE=1 runs the same suite under cargo-llvm-cov instrumentation and keeps the profile data
# for `scripts/coverage.sh report`: CI runs each backend once, instrumented, instead of a plain run
# and then an instrumented one (docs/devops.md, "CI budget").
# Extra arguments after the backend go to the test runner (`scripts/test.sh sqlite attacks::`).
set -euo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"

backend=${1:-sqlite}
shift || true

case $backend in
  sqlite) unset TEST_DATABASE_URL ;;
  postgres) export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} ;;
  *) echo "test.sh: unknown backend '$backend' (sqlite, postgres)" >&2; exit 2 ;;
esac

if [[ ${COVERAGE:-0} == 1 ]]; then
  echo "==> tests on $backend (instrumented for coverage)"
  exec cargo llvm-cov --no-report --locked -- "$@"
fi
echo "==> tests on $backend"
exec cargo test --locked -- "$@"
