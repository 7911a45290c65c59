#!/usr/bin/env bash
# System calls per request, warden's `GET /auth/me` against bench/axum-floor's `GET /me`
# (docs/performance.md): counted with `strace -c -f` over a fixed number of sequential keep-alive
# requests, so, like bench/callgrind.sh, the figure does not move with the machine's other load.
#
# Usage: bench/syscalls.sh [WARDEN_BIN] [FLOOR_BIN] [REQUESTS]
#   defaults: target/release/warden, bench/axum-floor/target/release/axum-floor, 2000
# Uses a fresh PostgreSQL database (BENCH_PG_URL, admin URL), removed on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$(dirname "$here")/target/release/warden}
floor=${2:-$here/axum-floor/target/release/axum-floor}
requests=${3:-2000}
admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
secret=bench-secret-key-0123456789abcdefghijklmnop
for tool in strace psql python3; do
    command -v "$tool" >/dev/null || { echo "bench/syscalls.sh: $tool is required" >&2; exit 1; }
done

db=bench_syscalls_$$
dir=$(mktemp -d "${TMPDIR:-/tmp}/warden-syscalls.XXXXXX")
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    psql -X -q "$admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
psql -X -q "$admin" -c "CREATE DATABASE \"$db\"" >/dev/null
url=${admin%/*}/$db

# drive PORT PATH N [TOKEN]: waits for PORT, logs in (warden only, when no TOKEN is given),
# warms up, then sends N requests after writing "go" to $dir/ready; prints the token.
drive() {
    python3 - "$@" <<'PY'
import http.client, json, os, sys, time
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
token = sys.argv[4] if len(sys.argv) > 4 else None
ready = os.path.join(os.environ["SYSCALLS_DIR"], "ready")

def call(conn, method, url, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, url, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    return r.status, r.read()

deadline = time.time() + 60
while True:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit(f"nothing listens on {port}")
        time.sleep(0.2)
if token is None:
    while call(conn, "GET", "/readyz")[0] != 200:
        time.sleep(0.2)
    user = {"username": "sc_user", "email": "sc@bench.example.com", "password": "BenchPassword123",
            "first_name": "Strace"}
    assert call(conn, "POST", "/api/v1/auth/register", user)[0] == 201
    status, body = call(conn, "POST", "/api/v1/auth/login",
                        {"email": user["email"], "password": user["password"]})
    assert status == 200, status
    token = json.loads(body)["data"]["access_token"]
for _ in range(50):
    assert call(conn, "GET", path)[0] == 200
open(ready, "w").close()
while os.path.exists(ready):  # the caller attaches strace, then removes the file
    time.sleep(0.05)
for _ in range(n):
    assert call(conn, "GET", path)[0] == 200
print(token)
PY
}

# count PID PORT PATH N [TOKEN]: strace -c over the N requests only; prints calls per request.
count() {
    local pid=$1 port=$2 path=$3 n=$4 token=${5:-} out=$dir/strace.$1
    rm -f "$dir/ready"
    SYSCALLS_DIR=$dir drive "$port" "$path" "$n" ${token:+"$token"} >"$dir/token" &
    local driver=$!
    while [ ! -e "$dir/ready" ]; do
        kill -0 "$driver" 2>/dev/null || { echo "bench/syscalls.sh: the driver failed" >&2; exit 1; }
        sleep 0.05
    done
    strace -c -f -q -p "$pid" -o "$out" &
    local tracer=$!
    sleep 1
    rm -f "$dir/ready"
    wait "$driver"
    kill -INT "$tracer"
    wait "$tracer" || true
    awk -v n="$n" '$NF == "total" { printf "%.1f", $4 / n }' "$out"
    echo " per request; the busiest:"
    awk -v n="$n" '$1 ~ /^[0-9.]+$/ && $NF != "total" { printf "  %-16s %.2f\n", $NF, $4 / n }' "$out" | sort -k2 -nr | head -n 6
}

port=$(free_port)
DATABASE_URL=$url HOST=127.0.0.1 PORT=$port APP_ENV=production SECRET_KEY=$secret \
    AUTO_MIGRATE=true LOG_DIR= LOG_LEVEL=warn DB_POOL_SIZE=4 \
    RATE_LIMIT_DEFAULT="1000000000 per hour" RATE_LIMIT_LOGIN="1000000000 per minute" \
    RATE_LIMIT_REGISTER="1000000000 per minute" JWT_ACCESS_TOKEN_EXPIRES=86400 \
    "$bin" serve >"$dir/warden.log" 2>&1 &
pids+=($!)
printf 'warden GET /api/v1/auth/me: '
count "${pids[0]}" "$port" /api/v1/auth/me "$requests"
token=$(cat "$dir/token")

if [ -x "$floor" ]; then
    fport=$(free_port)
    DATABASE_URL=$url SECRET_KEY=$secret PORT=$fport POOL_SIZE=4 "$floor" >"$dir/floor.log" 2>&1 &
    pids+=($!)
    printf 'axum floor GET /me: '
    count "${pids[1]}" "$fport" /me "$requests" "$token"
fi
