#!/usr/bin/env bash
# Fault injection and scale-out tests (issue 8), bounded for .ci/run: a private PostgreSQL cluster
# and private Redis servers, real `warden serve` processes under steady load, and the faults of
# chaos/README.md (PostgreSQL stopped, Redis killed, SIGTERM, unwritable/full log directory,
# three instances with a rolling restart). Traffic goes to 127.0.0.1 only. Ends with one summary
# table; exit status non-zero on any failed assertion.
#
#   scripts/chaos.sh                     every scenario, bounded (about 2 minutes after the build)
#   scripts/chaos.sh pg_outage sigterm   only these scenarios
#   CHAOS_LOAD_SECS=30 CHAOS_ROUNDS=5 CHAOS_TIMEOUT_SECS=1800 scripts/chaos.sh   a longer run
#
# WARDEN_BIN=path/to/warden skips the build; otherwise `cargo build --locked` builds the dev
# profile (a no-op after .ci/run's test steps), or CHAOS_PROFILE=release. CARGO_TARGET_DIR is
# honoured. Every knob is listed in chaos/README.md.
set -euo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"

: "${CHAOS_TIMEOUT_SECS:=240}" # hard bound of the harness itself (the build is not counted)
say() { printf '[chaos] %s\n' "$*"; }

for tool in python3 psql redis-server redis-cli; do
  command -v "$tool" >/dev/null || {
    say "$tool not found; install PostgreSQL client/server and Redis (see chaos/README.md)"
    exit 2
  }
done
[[ -x ${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb ]] || {
  say "no initdb under ${PG_BIN:-/usr/lib/postgresql/15/bin}; set PG_BIN"
  exit 2
}

if [[ -z ${WARDEN_BIN:-} ]]; then
  # Default: the dev profile, which .ci/run's test steps have already built (cargo test builds
  # the binary; Argon2 and the crypto crates are optimised even there, see Cargo.toml), so this
  # is a no-op in CI. CHAOS_PROFILE=release for figures of the production build.
  profile=${CHAOS_PROFILE:-dev}
  t=$(date +%s)
  say "building warden (profile $profile)"
  timeout 3600 cargo build --locked --profile "$profile" --bin warden
  dir=$profile
  [[ $profile == dev ]] && dir=debug
  # Absolute: the harness starts each instance in its own working directory.
  WARDEN_BIN="$(cd "${CARGO_TARGET_DIR:-target}/$dir" && pwd)/warden"
  say "build took $(($(date +%s) - t))s"
fi
export WARDEN_BIN
export PYTHONDONTWRITEBYTECODE=1

# The harness cleans up after itself (also on SIGTERM and at its own deadline). This trap is the
# second line: if python3 was killed outright, kill what its state file still lists.
state=$(mktemp -t warden-chaos-state.XXXXXX)
export CHAOS_STATE=$state
export CHAOS_DEADLINE_SECS=${CHAOS_DEADLINE_SECS:-$((CHAOS_TIMEOUT_SECS - 15))}
cleanup() {
  local line port dir
  while IFS= read -r line; do
    case $line in
      "warden "*" port "* | "redis port "*)
        port=${line##* }
        # only processes listening on a port this run allocated, by pid
        for pid in $(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
          kill -9 "$pid" 2>/dev/null || true
        done
        ;;
      "pg "*)
        dir=${line#pg }
        if [[ -f $dir/postmaster.pid ]]; then
          kill -9 "$(head -n 1 "$dir/postmaster.pid")" 2>/dev/null || true
        fi
        ;;
      "umount "*) umount -l "${line#umount }" 2>/dev/null || true ;;
      "dir "*)
        dir=${line#dir }
        [[ $dir == */warden-chaos-* ]] && rm -rf "$dir"
        ;;
    esac
  done < <(tac "$state") # newest first: processes before their directories
  rm -f "$state"
}
trap cleanup EXIT

t=$(date +%s)
set +e
timeout --signal=TERM --kill-after=15 "$CHAOS_TIMEOUT_SECS" python3 chaos/chaos.py "$@"
status=$?
set -e
say "harness took $(($(date +%s) - t))s (bound ${CHAOS_TIMEOUT_SECS}s), exit $status"
exit "$status"
