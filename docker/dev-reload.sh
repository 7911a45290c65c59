#!/usr/bin/env bash
# Hot reload for the `development` image without cargo-watch: build and run `warden serve`,
# poll the watched paths every WATCH_INTERVAL seconds, and on any change (content, new or
# deleted file) stop the server (SIGTERM, graceful drain) and rebuild + restart it.
# A failed build keeps polling and retries on the next change.
#
# Env: WATCH_PATHS (default "src migrations assets Cargo.toml Cargo.lock"),
#      WATCH_INTERVAL (default 1), CARGO_RUN_ARGS (default "--bin warden"), WARDEN_ARGS
#      (default "serve").
set -uo pipefail

WATCH_PATHS="${WATCH_PATHS:-src migrations assets templates build.rs Cargo.toml Cargo.lock}"
WATCH_INTERVAL="${WATCH_INTERVAL:-1}"
CARGO_RUN_ARGS="${CARGO_RUN_ARGS:---bin warden}"
WARDEN_ARGS="${WARDEN_ARGS:-serve}"
target_dir="${CARGO_TARGET_DIR:-target}"
server_pid=""

snapshot() {
    # shellcheck disable=SC2086
    find $WATCH_PATHS -type f -printf '%p %s %T@\n' 2>/dev/null | sort | cksum
}

stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        echo "[dev-reload] stopping warden (pid $server_pid)"
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    server_pid=""
}

start_server() {
    echo "[dev-reload] cargo build $CARGO_RUN_ARGS"
    # shellcheck disable=SC2086
    if cargo build $CARGO_RUN_ARGS; then
        # shellcheck disable=SC2086
        "$target_dir/debug/warden" $WARDEN_ARGS &
        server_pid=$!
        echo "[dev-reload] warden running (pid $server_pid); watching: $WATCH_PATHS"
    else
        echo "[dev-reload] build failed; waiting for the next change"
    fi
}

trap 'stop_server; exit 0' TERM INT

last="$(snapshot)"
start_server
while true; do
    sleep "$WATCH_INTERVAL" & wait $!
    now="$(snapshot)"
    if [ "$now" != "$last" ]; then
        last="$now"
        echo "[dev-reload] change detected"
        stop_server
        start_server
    elif [ -n "$server_pid" ] && ! kill -0 "$server_pid" 2>/dev/null; then
        wait "$server_pid" 2>/dev/null; code=$?
        echo "[dev-reload] warden exited ($code); restarting on the next change"
        server_pid=""
    fi
done
