#!/usr/bin/env bash
# Headless Chromium against a real warden: screenshots of /docs, /redoc, / and /health, with
# assertions on the rendered DOM (not only that a file was written) and on CSP violations.
#
#   bash tests/browser/run.sh            builds target/debug/warden if needed
#   SCREENSHOT_DIR=dir bash tests/browser/run.sh
#
# Needs Debian's `chromium` (installed when missing and running as root). Offline: every asset is
# served by the binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v chromium >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    echo "browser: installing chromium"
    (apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium) >/dev/null
  else
    echo "browser: chromium is not installed (apt-get install -y chromium)" >&2
    exit 1
  fi
fi

target=${CARGO_TARGET_DIR:-target}
bin="$target/debug/warden"
[[ -x $bin ]] || cargo build --quiet --locked
out=${SCREENSHOT_DIR:-$target/browser}
mkdir -p "$out"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

DATABASE_URL=sqlite::memory: APP_ENV=testing HOST=127.0.0.1 PORT=$port LOG_DIR= LOG_LEVEL=warn \
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
curl -fsS "$base/livez" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

failures=0
passes=0
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }
pass() { echo "PASS $1"; passes=$((passes + 1)); }

chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$RANDOM" --window-size=1280,1600 \
    --virtual-time-budget=20000 --enable-logging=stderr --v=0 "$@"
}

# check <name> <path> <pattern:min-count>...: dump the DOM, screenshot, assert.
check() {
  local name=$1 path=$2
  shift 2
  chrome --dump-dom "$base$path" >"$work/$name.html" 2>"$work/$name.log" || true
  chrome --screenshot="$out/$name.png" "$base$path" >/dev/null 2>&1 || true
  local ok=1
  [[ -s "$out/$name.png" ]] || { fail "$name" "no screenshot"; ok=0; }
  for spec in "$@"; do
    local pattern=${spec%:*} min=${spec##*:} count
    count=$(grep -oE -- "$pattern" "$work/$name.html" | wc -l || true)
    if ((count < min)); then
      fail "$name" "expected at least $min × /$pattern/ in the rendered DOM, found $count"
      ok=0
    fi
  done
  if grep -E "Refused to|Content Security Policy" "$work/$name.log" >/dev/null; then
    fail "$name" "CSP violation: $(grep -m1 -E 'Refused to|Content Security Policy' "$work/$name.log")"
    ok=0
  fi
  ((ok)) && pass "$name ($out/$name.png)"
  return 0
}

start=$(date +%s)
# Swagger UI: one section per tag (docExpansion none keeps operations collapsed).
check docs /docs \
  'id="operations-tag-[^"]+"':6 \
  'Roles Management':1 \
  'class="swagger-ui':1 \
  'warden API':1
# ReDoc: the side menu lists every operation (27) under the six tags.
check redoc /redoc \
  'operation-type (get|post|put|delete)':27 \
  'role="menuitem"':27 \
  'Permissions Management':1
check landing / 'Welcome to warden!':1 '<title>warden - API Service</title>':1 'href="/docs"':1
check health /health 'System Status':1 'Database':1 '<title>System Health - warden</title>':1
echo "browser: $passes passed, $failures failed in $(($(date +%s) - start))s"
((failures == 0))
