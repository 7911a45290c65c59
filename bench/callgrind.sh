#!/usr/bin/env bash
# warden's instructions per request, counted by callgrind: repeatable to the instruction whatever
# else runs on the machine, so it decides whether a change pays (docs/performance.md).
#
# Usage: bench/callgrind.sh [WARDEN_BIN] [REQUESTS] [PATH]
#   defaults: target/release/warden, 2000, /api/v1/auth/me
# Starts warden under valgrind on a fresh PostgreSQL database (BENCH_PG_URL, admin URL) twice,
# with no and with REQUESTS sequential keep-alive requests after one login and a warm-up, and
# prints the difference per request. Everything it creates is removed on exit; with
# CALLGRIND_KEEP=FILE the measured run's profile is copied there first (for callgrind_annotate).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$(dirname "$here")/target/release/warden}
requests=${2:-2000}
path=${3:-/api/v1/auth/me}
admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
for tool in valgrind callgrind_control psql python3; do
    command -v "$tool" >/dev/null || { echo "bench/callgrind.sh: $tool is required" >&2; exit 1; }
done

db=bench_callgrind_$$
dir=$(mktemp -d "${TMPDIR:-/tmp}/warden-callgrind.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
    [ -n "${pid:-}" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    psql -X -q "$admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

# One warden process under callgrind: start, migrate, register and log in one user, warm up,
# then `n` measured requests, then SIGTERM; prints the process's total instruction count.
# callgrind_control cannot reach a process whose threads all wait in epoll here, so the count
# per request is the difference of two whole runs (n = 0 and n = REQUESTS) divided by REQUESTS.
run_once() {
    local n=$1 out=$dir/callgrind.$1
    psql -X -q "$admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\"" >/dev/null
    DATABASE_URL=${admin%/*}/$db HOST=127.0.0.1 PORT=$port APP_ENV=production \
        SECRET_KEY=bench-secret-key-0123456789abcdefghijklmnop AUTO_MIGRATE=true LOG_DIR= LOG_LEVEL=warn \
        RATE_LIMIT_DEFAULT="1000000000 per hour" RATE_LIMIT_LOGIN="1000000000 per minute" \
        RATE_LIMIT_REGISTER="1000000000 per minute" JWT_ACCESS_TOKEN_EXPIRES=86400 \
        valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" serve >"$dir/warden.log" 2>&1 &
    pid=$!
    python3 - "$port" "$n" "$path" <<'PY'
import http.client, json, sys, time
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def call(conn, method, url, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, url, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    return r.status, r.read()

deadline = time.time() + 300
while True:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        if call(conn, "GET", "/readyz")[0] == 200:
            break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("warden did not become ready under valgrind")
    time.sleep(0.5)
user = {"username": "cg_user", "email": "cg@bench.example.com", "password": "BenchPassword123",
        "first_name": "Callgrind"}
status, _ = call(conn, "POST", "/api/v1/auth/register", user)
assert status == 201, status
status, body = call(conn, "POST", "/api/v1/auth/login",
                    {"email": user["email"], "password": user["password"]})
assert status == 200, status
token = json.loads(body)["data"]["access_token"]
path = path.replace("{self}", str(json.loads(body)["data"]["user"]["id"]))
for _ in range(50):  # warm-up: prepared statements, pool connections
    call(conn, "GET", path, token=token)
for _ in range(n):
    status, _ = call(conn, "GET", path, token=token)
    assert status == 200, status
PY
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
    sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$out" | head -n 1
}

base=$(run_once 0)
measured=$(run_once "$requests")
[ -n "${CALLGRIND_KEEP:-}" ] && cp "$dir/callgrind.$requests" "$CALLGRIND_KEEP"
echo "$path: $requests requests, $((measured - base)) instructions, $(((measured - base) / requests)) instructions/request"
