#!/usr/bin/env bash
# Property-based run of schemathesis (PyPI) against a live warden, bounded: it asserts no 5xx and
# no response that contradicts the OpenAPI document (status, content type, body schema).
#
#   bash tests/docs/schemathesis.sh                  MAX_EXAMPLES=25 by default
#
# The instance runs on a scratch SQLite file with a super admin made by `warden create-admin`, so
# the protected operations are exercised past 401/403. Two passes: everything but the operations
# that can end the admin's session, then those (logout, user update/delete) with a fresh token.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v schemathesis >/dev/null || python3 -m pip install --quiet schemathesis

target=${CARGO_TARGET_DIR:-target}
bin="$target/debug/warden"
[[ -x $bin ]] || cargo build --quiet --locked
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export APP_ENV=testing HOST=127.0.0.1 PORT=$port LOG_DIR= LOG_LEVEL=error \
  DATABASE_URL="sqlite://$work/warden.db" \
  RATE_LIMIT_LOGIN="100000 per minute" RATE_LIMIT_REGISTER="100000 per minute" \
  RATE_LIMIT_DEFAULT="1000000 per hour"
password='Schema-Thesis-1'
printf '%s\n' "$password" | "$bin" create-admin --username st_admin --email st_admin@example.com \
  --password-stdin >/dev/null
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do
  curl -fsS "$base/livez" >/dev/null 2>&1 && break
  sleep 0.1
done

token() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\": \"st_admin@example.com\", \"password\": \"$password\"}" "$base/api/v1/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["access_token"])'
}

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
run() {
  schemathesis run "$base/openapi.json" --checks "$checks" \
    --phases examples,coverage,fuzzing --max-examples "${MAX_EXAMPLES:-25}" --workers 1 \
    --request-timeout 10 --seed "${SEED:-1}" \
    -H "Authorization: Bearer $(token)" "$@"
}
session_enders='^(POST /api/v1/auth/logout|PUT /api/v1/users/\{user_id\}|DELETE /api/v1/users/\{user_id\})$'
start=$(date +%s)
status=0
run --exclude-name-regex "$session_enders" || status=1
run --include-name-regex "$session_enders" || status=1
if grep -E 'ERROR|panicked' "$work/server.log" >/dev/null; then
  echo "schemathesis: the server logged errors:" >&2
  grep -E 'ERROR|panicked' "$work/server.log" | head -20 >&2
  status=1
fi
echo "schemathesis: done in $(($(date +%s) - start))s (status $status)"
exit "$status"
