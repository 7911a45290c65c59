#!/usr/bin/env bash
# Headless Chromium against a real warden: screenshots of /docs, /redoc, / and /health, with
# assertions on the rendered DOM (not only that a file was written) and on CSP violations; the
# account pages /reset-password and /verify-email without a token, and /verify-email with a real
# token taken from the `log` mail transport (the page must call the API and show its answer).
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

DATABASE_URL=sqlite::memory: APP_ENV=testing HOST=127.0.0.1 PORT=$port LOG_DIR= \
  LOG_LEVEL=warn,warden::mail=info MAIL_TRANSPORT=log \
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
# ReDoc: the side menu lists every operation (37) under the six tags.
check redoc /redoc \
  'operation-type (get|post|put|delete)':37 \
  'role="menuitem"':37 \
  'Permissions Management':1
check landing / 'Welcome to warden!':1 '<title>warden - API Service</title>':1 'href="/docs"':1
check health /health 'System Status':1 'Database':1 '<title>System Health - warden</title>':1
check reset-password-incomplete /reset-password 'This link is incomplete.':1 'Reset your password':1
check verify-email-incomplete /verify-email 'This link is incomplete.':1

# /verify-email with a real token: register, read the link from the log transport, load the page
# once (DOM only, so the single-use token is spent exactly once) and expect the API's answer.
curl -fsS -o /dev/null -H 'Content-Type: application/json' "$base/api/v1/auth/register" \
  -d '{"username":"browser","email":"browser@example.com","password":"Password123!","first_name":"Browser"}'
token=""
for _ in $(seq 50); do
  token=$(grep -oE 'verify-email\?token=[A-Za-z0-9_-]{43}' "$work/server.log" | head -1 | cut -d= -f2 || true)
  [[ -n $token ]] && break
  sleep 0.1
done
if [[ -z $token ]]; then
  fail verify-email "no verification link in the log transport's output"
else
  chrome --dump-dom "$base/verify-email?token=$token" >"$work/verify.html" 2>"$work/verify.log" || true
  if ! grep -q 'Email address verified' "$work/verify.html"; then
    fail verify-email "the page did not show 'Email address verified'"
  elif grep -q -- "$token" "$work/verify.html"; then
    fail verify-email "the token appears in the page"
  elif grep -E "Refused to|Content Security Policy" "$work/verify.log" >/dev/null; then
    fail verify-email "CSP violation: $(grep -m1 -E 'Refused to|Content Security Policy' "$work/verify.log")"
  elif [[ $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
      "$base/api/v1/auth/email/verify" -d "{\"token\":\"$token\"}") != 400 ]]; then
    fail verify-email "the token was not spent by the page"
  else
    pass verify-email
  fi
fi

# /reset-password with a real token: fill the form over the DevTools protocol (tests/browser/cdp.py),
# first with two different passwords (refused in the page, no request), then for real; the page
# must show the API's answer, never hold the token in its DOM, and call the API exactly once.
curl -fsS -o /dev/null -H 'Content-Type: application/json' "$base/api/v1/auth/password/forgot" \
  -d '{"email":"browser@example.com"}'
reset_token=""
for _ in $(seq 50); do
  reset_token=$(grep -oE 'reset-password\?token=[A-Za-z0-9_-]{43}' "$work/server.log" | head -1 | cut -d= -f2 || true)
  [[ -n $reset_token ]] && break
  sleep 0.1
done
if [[ -z $reset_token ]]; then
  fail reset-password "no reset link in the log transport's output"
else
  python3 tests/browser/cdp.py "$work/profile-cdp" "$base/reset-password?token=$reset_token" \
    >"$work/reset.txt" 2>"$work/reset.log" || true
  calls=$(curl -fsS "$base/metrics" | grep -E 'warden_http_requests_total\{[^}]*route="/api/v1/auth/password/reset"' \
    | awk '{sum += $2} END {print sum + 0}')
  if ! grep -qx 'mismatch: The passwords do not match.' "$work/reset.txt"; then
    fail reset-password "mismatch not refused in the page: $(cat "$work/reset.txt")"
  elif ! grep -qx 'submitted: Password has been reset. Please log in with your new password.' "$work/reset.txt"; then
    fail reset-password "no success message: $(cat "$work/reset.txt") $(tail -3 "$work/reset.log")"
  elif ! grep -qx 'token-in-dom: no' "$work/reset.txt"; then
    fail reset-password "the token stayed in the page"
  elif [[ $calls != 1 ]]; then
    fail reset-password "the reset API was called $calls times (expected once)"
  elif [[ $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
      "$base/api/v1/auth/login" -d '{"email":"browser@example.com","password":"New-Browser-Passw0rd"}') != 200 ]]; then
    fail reset-password "the new password does not log in"
  else
    pass reset-password
  fi
fi
echo "browser: $passes passed, $failures failed in $(($(date +%s) - start))s"
((failures == 0))
