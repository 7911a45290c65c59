#!/usr/bin/env bash
# warden's instructions per request, counted by callgrind: repeatable to the instruction whatever
# else runs on the machine, so it decides whether a change pays (docs/performance.md).
#
# Usage: bench/callgrind.sh [WARDEN_BIN] [REQUESTS] [PATH]
#   defaults: target/release/warden, 2000, /api/v1/auth/me
# Starts warden under valgrind on a fresh PostgreSQL database (BENCH_PG_URL, admin URL), registers
# and logs in one user, zeroes the counters, sends REQUESTS sequential keep-alive requests, dumps
# the counters and prints instructions per request. Everything it creates is removed on exit.
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
psql -X -q "$admin" -c "CREATE DATABASE \"$db\"" >/dev/null

DATABASE_URL=${admin%/*}/$db HOST=127.0.0.1 PORT=$port APP_ENV=production \
    SECRET_KEY=bench-secret-key-0123456789abcdefghijklmnop AUTO_MIGRATE=true LOG_DIR= LOG_LEVEL=warn \
    RATE_LIMIT_DEFAULT="1000000000 per hour" RATE_LIMIT_LOGIN="1000000000 per minute" \
    RATE_LIMIT_REGISTER="1000000000 per minute" JWT_ACCESS_TOKEN_EXPIRES=86400 \
    valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" "$bin" serve \
    >"$dir/warden.log" 2>&1 &
pid=$!

python3 - "$port" "$requests" "$path" "$pid" "$dir" <<'PY'
import http.client, json, re, subprocess, sys, time
port, n, path, pid, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

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
for _ in range(50):  # warm: prepared statements, pool connections
    call(conn, "GET", path, token=token)
subprocess.run(["callgrind_control", "--zero", pid], check=True, capture_output=True)
for _ in range(n):
    status, _ = call(conn, "GET", path, token=token)
    assert status == 200, status
subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
time.sleep(1)
import glob, os
# the dump written by --dump (the final profile is written only at exit): counts since --zero
dump = max(glob.glob(out + "/callgrind.out.*"), key=os.path.getmtime)
text = open(dump).read()
m = re.search(r"^(?:totals|summary):\s+(\d+)", text, re.M)
total = int(m.group(1))
print(f"{path}: {n} requests, {total:,} instructions, {total // n:,} instructions/request")
PY
