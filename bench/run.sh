#!/usr/bin/env bash
# warden load benchmark (issue 7). Usage: bench/run.sh [--quick]
#
# Builds warden (release) and bench/argon2-rate, then runs bench/bench.py, which creates its own
# PostgreSQL databases and SQLite file, seeds 10,000 users, starts warden, drives it with wrk and
# measures the floors (pgbench -S, raw Argon2id) in the same run. Writes bench/results/latest.*
# (quick: bench/results/quick.*). Everything it creates is removed by the trap below, also on
# Ctrl-C or failure. See bench/README.md.
#
# Environment (all optional):
#   CARGO_TARGET_DIR   build directory (default: <repo>/target)
#   BENCH_PG_URL       admin connection (default postgres://postgres@127.0.0.1:5432/postgres)
#   BENCH_REDIS_URL    Redis for the limiter variant (default redis://127.0.0.1:6379/13)
#   BENCH_ROUNDS, BENCH_DURATION, BENCH_WARMUP, BENCH_DB_POOL_SIZE   override the run shape
#   BENCH_SKIP_BUILD=1 use the binaries already built; BENCH_WARDEN_BIN another warden binary
#   (BENCH_BINARY_REV names the revision it was built from, for the report)
#   Experiments: BENCH_SCENARIOS=me_c16,login (subset), BENCH_PHASES=pg,redis,sqlite,cold,
#   BENCH_WARDEN_ENV="K=V ..." (extra warden environment), BENCH_OUT_DIR, BENCH_OUT_NAME
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
target=${CARGO_TARGET_DIR:-$repo/target}
export BENCH_PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export BENCH_REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/13}

for arg in "$@"; do
    case $arg in
        --quick) ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $arg (only --quick)" >&2; exit 2 ;;
    esac
done

say() { printf '[bench] %s\n' "$*"; }

# ---- tools: install the load generator idempotently
for tool in psql pgbench python3 cargo; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is required" >&2; exit 1; }
done
if ! command -v wrk >/dev/null; then
    say "installing wrk (apt-get)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
if ! command -v sqlite3 >/dev/null; then
    say "installing sqlite3 (apt-get)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq sqlite3 >/dev/null; else sudo apt-get install -y -qq sqlite3 >/dev/null; fi
fi

# ---- cleanup of everything bench.py registers in the state directory
state=$(mktemp -d "${TMPDIR:-/tmp}/warden-bench.XXXXXX")
export BENCH_STATE_DIR=$state
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "${driver:-}" ]; then kill "$driver" 2>/dev/null || true; wait "$driver" 2>/dev/null || true; fi
    if [ -f "$state/pid" ]; then
        while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$state/pid"
        sleep 0.5
        while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$state/pid"
    fi
    if [ -f "$state/pgdb" ]; then
        while read -r db; do
            psql -X -q "$BENCH_PG_URL" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 \
                || say "could not drop database $db"
        done < "$state/pgdb"
    fi
    if [ -f "$state/redis" ] && command -v redis-cli >/dev/null; then
        # only the limiter keys in the bench's own Redis database
        redis-cli -u "$BENCH_REDIS_URL" --scan --pattern 'warden:rl:*' 2>/dev/null \
            | xargs -r -d '\n' -n 500 redis-cli -u "$BENCH_REDIS_URL" DEL >/dev/null 2>&1 || true
    fi
    if [ $rc -ne 0 ] && [ -d "$state" ]; then
        for f in "$state"/warden-*.log; do
            [ -s "$f" ] && { say "last lines of $f:"; tail -n 5 "$f"; }
        done
    fi
    rm -rf "$state"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "building warden (release, $target)"
    (cd "$repo" && CARGO_TARGET_DIR=$target cargo build --release --quiet --bin warden)
    say "building bench/argon2-rate"
    (cd "$here/argon2-rate" && CARGO_TARGET_DIR=$target/argon2-rate cargo build --release --quiet)
    say "building bench/axum-floor"
    (cd "$here/axum-floor" && CARGO_TARGET_DIR=$target/axum-floor cargo build --release --quiet)
fi
export AXUM_FLOOR_BIN=$target/axum-floor/release/axum-floor
export WARDEN_BIN=${BENCH_WARDEN_BIN:-$target/release/warden}
export ARGON2_RATE_BIN=$target/argon2-rate/release/argon2-rate

# ---- run (in the background so the trap can stop it)
python3 "$here/bench.py" "$@" &
driver=$!
wait "$driver"
