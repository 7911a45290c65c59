#!/bin/sh
# Write a dependency-only "skeleton" of the crate to $1 (the cargo-chef idea, without
# cargo-chef): Cargo.toml, Cargo.lock, a real build.rs if there is one, and a stub
# `fn main() {}` at the path of every other target that `cargo metadata` reports. Building
# the skeleton compiles every dependency; because its content changes only when the
# manifests (or the set of targets) change, Docker's layer cache keeps the compiled
# dependencies across source edits.
set -eu
out="${1:?usage: cargo-skeleton.sh OUTDIR}"
root="$(pwd)"
mkdir -p "$out"
# Lint tables only concern the crate's own code: drop them, so that a lint change does not
# invalidate the compiled dependencies.
awk '/^\[/ { skip = ($0 ~ /^\[lints(\.[a-z_-]+)?\][[:space:]]*$/) } !skip' Cargo.toml > "$out/Cargo.toml"
cp Cargo.lock "$out/"
[ -f build.rs ] && cp build.rs "$out/build.rs"
[ -f rust-toolchain.toml ] && cp rust-toolchain.toml "$out/"
[ -d .cargo ] && cp -r .cargo "$out/.cargo"
cargo metadata --no-deps --format-version 1 --offline \
    | grep -o '"src_path":"[^"]*"' \
    | sed -e 's/^"src_path":"//' -e 's/"$//' \
    | sort -u \
    | while IFS= read -r path; do
        rel="${path#"$root"/}"
        [ "$rel" = build.rs ] && continue
        mkdir -p "$out/$(dirname "$rel")"
        printf '#![allow(dead_code)]\nfn main() {}\n' > "$out/$rel"
      done
# A stable listing of what was stubbed, for debugging cache misses.
(cd "$out" && find . -type f | sort) >&2
