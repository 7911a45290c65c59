#!/usr/bin/env bash
# Property-based run of schemathesis (PyPI) against a live warden, bounded: it asserts no 5xx and
# no response that contradicts the OpenAPI document (status, content type, body schema).
#
#   bash tests/docs/schemathesis.sh          MAX_EXAMPLES=25, SEED=1 by default
#   RANDOM_SEED=123 bash tests/docs/schemathesis.sh   replay a random-seed run
#
# Runs against two instances: one on a scratch SQLite file and one on a scratch PostgreSQL
# database (created from $TEST_DATABASE_URL and dropped afterwards; skipped with a notice when it
# is unset), because some inputs only fail inside PostgreSQL (e.g. U+0000 in text). Each instance
# gets a super admin made by `warden create-admin`, so the protected operations are exercised
# past 401/403. Every instance runs the fixed seed (all phases); the PostgreSQL instance (or
# SQLite without one) also runs a fresh random seed, fuzzing phase only, printed for replay.
# Each run has two passes: everything but the operations that can end the admin's session, then
# those (logout, user update/delete) with a fresh token.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v schemathesis >/dev/null || python3 -m pip install --quiet schemathesis

target=${CARGO_TARGET_DIR:-target}
bin="$target/debug/warden"
[[ -x $bin ]] || cargo build --quiet --locked
work=$(mktemp -d)
random_seed=${RANDOM_SEED:-$(python3 -c 'import random; print(random.randrange(1, 2**31))')}
password='Schema-Thesis-1'
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
session_enders='^(POST /api/v1/auth/logout|PUT /api/v1/users/\{user_id\}|DELETE /api/v1/users/\{user_id\})$'
server=
pg_admin=${TEST_DATABASE_URL:-}
pg_db="warden_schemathesis_$$_$(date +%s)"

stop_server() {
  if [[ -n $server ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  fi
}
cleanup() {
  stop_server
  if [[ -n $pg_admin ]]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# start <label> <DATABASE_URL>: a fresh instance with its super admin; sets $base and $log.
start() {
  local label=$1 url=$2 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  log="$work/server-$label.log"
  export APP_ENV=testing HOST=127.0.0.1 PORT=$port LOG_DIR= LOG_LEVEL=error DATABASE_URL=$url \
    RATE_LIMIT_LOGIN="100000 per minute" RATE_LIMIT_REGISTER="100000 per minute" \
    RATE_LIMIT_DEFAULT="1000000 per hour"
  printf '%s\n' "$password" | "$bin" create-admin --username st_admin \
    --email st_admin@example.com --password-stdin >/dev/null
  "$bin" serve >"$log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    curl -fsS "$base/livez" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "schemathesis: the $label instance did not start" >&2
  return 1
}

token() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\": \"st_admin@example.com\", \"password\": \"$password\"}" "$base/api/v1/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["access_token"])'
}

# passes <seed> <phases>: the two passes against the running instance.
passes() {
  local seed=$1 phases=$2 failed=0
  for selection in --exclude-name-regex --include-name-regex; do
    schemathesis run "$base/openapi.json" --checks "$checks" \
      --phases "$phases" --max-examples "${MAX_EXAMPLES:-25}" --workers 1 \
      --request-timeout 10 --seed "$seed" \
      -H "Authorization: Bearer $(token)" "$selection" "$session_enders" || failed=1
  done
  return "$failed"
}

# instance <label> <DATABASE_URL> <random?>: fixed seed, optionally the random seed, log check.
instance() {
  local label=$1 url=$2 random=$3 failed=0
  start "$label" "$url" || return 1
  echo "schemathesis: $label, seed ${SEED:-1}"
  passes "${SEED:-1}" examples,coverage,fuzzing || failed=1
  if [[ $random == yes ]]; then
    echo "schemathesis: $label, random seed $random_seed (replay: RANDOM_SEED=$random_seed)"
    passes "$random_seed" fuzzing || failed=1
  fi
  stop_server
  if grep -E 'ERROR|panicked' "$log" >/dev/null; then
    echo "schemathesis: the $label server logged errors:" >&2
    grep -E 'ERROR|panicked' "$log" | head -20 >&2
    failed=1
  fi
  return "$failed"
}

start_time=$(date +%s)
status=0
if [[ -n $pg_admin ]]; then
  instance sqlite "sqlite://$work/warden.db" no || status=1
  psql "$pg_admin" -qc "CREATE DATABASE \"$pg_db\"" >/dev/null
  pg_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$pg_admin" "$pg_db")
  instance postgres "$pg_url" yes || status=1
else
  echo "schemathesis: TEST_DATABASE_URL is unset: PostgreSQL instance skipped"
  instance sqlite "sqlite://$work/warden.db" yes || status=1
fi
echo "schemathesis: done in $(($(date +%s) - start_time))s (random seed $random_seed, status $status)"
exit "$status"
