#!/usr/bin/env bash
# Container smoke test (`make docker-smoke`, run by .ci/run):
#
#   1. a Docker engine (started by hand if needed), the Compose plugin, hadolint, and the local
#      stand-in base images (scripts/docker-local-images.sh: no registry is needed);
#   2. lint: hadolint on the Dockerfile, `docker compose config -q` for base and base + prod;
#   3. build the production image; print its size and fail above MAX_IMAGE_MB (50);
#   4. `docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d --wait` under its own
#      project name (a developer's `warden` stack is not touched), with throwaway secrets;
#   5. `warden smoke --base-url` from the image itself (host network) against the stack;
#   6. assert: web reports healthy, runs as a non-root uid, migrate exited 0, JSON log file written;
#   7. build the development target once;
#   8. `down -v` always (trap), print timings.
#
# No Docker engine can be started at all -> one `SKIP: docker-smoke: <reason>` line, exit 0.
# Any other failure exits non-zero.
#
# Env: WARDEN_IMAGE (warden:latest), WEB_PORT (a free port), MAX_IMAGE_MB (50),
#      SMOKE_PROJECT (warden-smoke-<checksum of the checkout path>), KEEP_STACK=1 (skip `down -v`), SKIP_DEV_BUILD=1,
#      WARM_REBUILD=1 (also time a rebuild after a one-line change in a scratch copy of src/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

IMAGE="${WARDEN_IMAGE:-warden:latest}"
DEV_IMAGE="${WARDEN_DEV_IMAGE:-warden:dev}"
# One project per checkout: two checkouts on one engine never tear down each other's stack, and
# a stack left by a killed run of this checkout is removed by its next run.
PROJECT="${SMOKE_PROJECT:-warden-smoke-$(printf '%s' "$ROOT" | cksum | cut -c1-6)}"
MAX_IMAGE_MB="${MAX_IMAGE_MB:-50}"
START_ALL=$(date +%s)
TIMINGS=()

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: docker-smoke: %s\n' "$*" >&2; exit 1; }
timed() { # name cmd...
    local name="$1" t0 t1
    shift
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    TIMINGS+=("$(printf '%-34s %7.1f s' "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")")
}
summary() {
    printf '\n==> docker-smoke timings\n'
    local line
    for line in "${TIMINGS[@]}"; do printf '  %s\n' "$line"; done
    printf '  %-34s %7d s\n' "total" "$(( $(date +%s) - START_ALL ))"
}

# ---- 1. engine, tools, stand-ins ---------------------------------------------------------------
say "Docker engine"
set +e
engine_out="$(bash scripts/docker-local-images.sh engine 2>&1)"
engine_rc=$?
set -e
if [ "$engine_rc" -ne 0 ]; then
    reason="$(printf '%s\n' "$engine_out" | grep -v '^\s*$' | tail -n 1)"
    if [ "$engine_rc" -eq 3 ]; then
        printf '%s\n' "$engine_out" >&2
        echo "SKIP: docker-smoke: no Docker engine could be started (${reason:-unknown reason})"
        exit 0
    fi
    printf '%s\n' "$engine_out" >&2
    fail "engine setup failed (exit $engine_rc)"
fi
docker version --format '  client {{.Client.Version}}, server {{.Server.Version}}'

timed "tools (compose, hadolint)" bash scripts/docker-local-images.sh tools
docker compose version
timed "stand-in base images" bash scripts/docker-local-images.sh images

# ---- 2. lint ----------------------------------------------------------------------------------
say "lint"
hadolint Dockerfile
docker compose -f docker-compose.yml config -q
SECRET_KEY=lint-only-secret-key-0123456789abcdef POSTGRES_PASSWORD=lint-only \
    SMTP_URL=smtp://mail.invalid:25 MAIL_FROM=no-reply@example.com PUBLIC_URL=https://warden.invalid \
    docker compose -f docker-compose.yml -f docker-compose.prod.yml config -q
echo "  hadolint clean; compose config valid (base, base + prod)"

# ---- 3. production image ----------------------------------------------------------------------
say "build $IMAGE (target production)"
version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
timed "build production image" docker build --pull=false --target production \
    --build-arg "VERSION=${version:-0.0.0}" --build-arg "REVISION=$revision" \
    --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" -t "$IMAGE" .
size_bytes="$(docker image inspect -f '{{.Size}}' "$IMAGE")"
size_mb="$(awk -v b="$size_bytes" 'BEGIN {printf "%.1f", b / 1000000}')"
echo "IMAGE SIZE: $IMAGE = ${size_mb} MB ($size_bytes bytes; limit ${MAX_IMAGE_MB} MB)"
[ "$size_bytes" -lt $((MAX_IMAGE_MB * 1000000)) ] || fail "image is ${size_mb} MB, over ${MAX_IMAGE_MB} MB"
[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" = "65532:65532" ] \
    || fail "image USER is not 65532:65532"
docker run --rm --network none "$IMAGE" --version

if [ "${WARM_REBUILD:-0}" = 1 ]; then
    say "warm rebuild after a one-line change (scratch copy of the context)"
    scratch="$(mktemp -d)"
    git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$scratch" 2>/dev/null || true
    cp .dockerignore Dockerfile "$scratch/"
    printf '\n// warm-rebuild probe %s\n' "$(date +%s)" >> "$scratch/src/main.rs"
    timed "warm rebuild (1-line src change)" docker build --pull=false --target production \
        -t warden:warm-probe "$scratch" >/dev/null
    docker image rm warden:warm-probe >/dev/null
    rm -rf "$scratch"
fi

# ---- 4. production stack -------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export WEB_PORT="${WEB_PORT:-$(free_port)}"
export WARDEN_IMAGE="$IMAGE"
SECRET_KEY="smoke-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
POSTGRES_PASSWORD="smoke-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SECRET_KEY POSTGRES_PASSWORD
# Mail goes nowhere in the smoke run: the routes answer without it (the queue drops with a WARN).
export SMTP_URL="smtp://127.0.0.1:9" MAIL_FROM="warden smoke <no-reply@example.com>" PUBLIC_URL="https://warden.invalid"
export RATE_LIMIT_LOGIN="100 per minute"
# A subnet of its own (the production override fixes one, and two stacks on one engine must not
# overlap); TRUSTED_PROXIES follows WARDEN_GATEWAY as in production.
if [ -z "${WARDEN_SUBNET:-}" ]; then
    octet=$(( $(printf '%s' "$PROJECT" | cksum | cut -d' ' -f1) % 200 + 20 ))
    export WARDEN_SUBNET="172.30.$octet.0/24" WARDEN_GATEWAY="172.30.$octet.1"
fi
export WARDEN_REVISION="$revision"
compose=(docker compose -p "$PROJECT" -f docker-compose.yml -f docker-compose.prod.yml)

teardown() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "---- stack state and logs (failure) ----" >&2
        "${compose[@]}" ps -a >&2 || true
        "${compose[@]}" logs --no-color --tail 60 >&2 || true
    fi
    if [ "${KEEP_STACK:-0}" = 1 ]; then
        echo "KEEP_STACK=1: leaving project $PROJECT up (docker compose -p $PROJECT ... down -v)"
    else
        "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    fi
    summary
    exit "$rc"
}
trap teardown EXIT

say "compose up --wait (project $PROJECT, web on 127.0.0.1:$WEB_PORT)"
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
timed "compose up --wait (to healthy)" "${compose[@]}" up -d --wait --wait-timeout 240 \
    --pull never --no-build
"${compose[@]}" ps

# ---- 5. black-box smoke test -----------------------------------------------------------------
say "warden smoke --base-url http://127.0.0.1:$WEB_PORT"
timed "warden smoke" docker run --rm --network host "$IMAGE" \
    smoke --base-url "http://127.0.0.1:$WEB_PORT"

# ---- 6. assertions -------------------------------------------------------------------------------
say "assertions"
web_id="$("${compose[@]}" ps -q web)"
[ -n "$web_id" ] || fail "no web container"
health="$(docker inspect -f '{{.State.Health.Status}}' "$web_id")"
[ "$health" = healthy ] || fail "web health is '$health'"
echo "  web health: $health"
pid="$(docker inspect -f '{{.State.Pid}}' "$web_id")"
uid="$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null \
    || docker top "$web_id" -eo uid | awk 'NR==2 {print $1}')"
[ -n "$uid" ] && [ "$uid" != 0 ] || fail "web process runs as uid '${uid:-?}'"
echo "  web process uid: $uid (non-root)"
migrate_id="$("${compose[@]}" ps -a -q migrate)"
migrate_rc="$(docker inspect -f '{{.State.ExitCode}}' "$migrate_id")"
[ "$migrate_rc" = 0 ] || fail "migrate exited $migrate_rc"
echo "  migrate: exited 0"
[ "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$web_id")" = true ] \
    || fail "web root filesystem is writable"
echo "  web root filesystem: read-only"
logs_volume="${PROJECT}_web-logs"
log_listing="$(docker run --rm --network none -v "$logs_volume:/logs:ro" debian:bookworm-slim \
    find /logs -name 'warden.log*' -user 65532 -size +0)"
[ -n "$log_listing" ] || fail "no JSON log file written by uid 65532 in $logs_volume"
echo "  log file: ${log_listing//$'\n'/ }"
if "${compose[@]}" config --format json 2>/dev/null | grep -q '"/app"'; then
    fail "a source bind mount survived the production override"
fi
echo "  no source bind mounts in the production stack"
# The client IP behind a proxy on the host (docs/devops.md, "Client IP behind the proxy"): such a
# proxy connects to 127.0.0.1:$WEB_PORT and adds the client to X-Forwarded-For; warden must log
# that client, not the Docker gateway the connection arrives from.
probe_ip=203.0.113.77
python3 - "http://127.0.0.1:$WEB_PORT/api/v1/client-ip-probe" "$probe_ip" <<'PY' || true
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"X-Forwarded-For": sys.argv[2]})
try:
    urllib.request.urlopen(request, timeout=10)
except Exception:
    pass  # a 404 is expected: only the access log line matters
PY
sleep 1
if ! "${compose[@]}" logs --no-color web | grep -q "\"client_ip\":\"$probe_ip\""; then
    "${compose[@]}" logs --no-color --tail 5 web >&2 || true
    fail "behind a host proxy warden did not see the forwarded client $probe_ip (TRUSTED_PROXIES / gateway)"
fi
echo "  client IP behind a host proxy: $probe_ip (X-Forwarded-For believed from the gateway $WARDEN_GATEWAY)"

# ---- 7. development target ---------------------------------------------------------------------
if [ "${SKIP_DEV_BUILD:-0}" != 1 ]; then
    say "build $DEV_IMAGE (target development)"
    timed "build development image" docker build --pull=false --target development \
        -t "$DEV_IMAGE" .
    docker run --rm --network none --entrypoint cargo "$DEV_IMAGE" --version
fi

echo
echo "docker-smoke: PASS (image ${size_mb} MB)"
