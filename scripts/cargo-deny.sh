#!/usr/bin/env bash
# cargo deny check with the RustSec advisory database available offline when we can.
#
# If a snapshot of the advisory database sits beside the repository
# ($(git rev-parse --show-toplevel)/../shared/advisory-db, or $WARDEN_ADVISORY_DB), it is copied to a
# writable place (target/advisory-dbs), made into the git checkout cargo-deny expects at
# <db-path>/advisory-db-3157b0e258782691 (the snapshot is a plain folder, possibly read-only), and
# cargo-deny runs with --offline against it. Otherwise cargo-deny fetches the database online.
#
# Usage: scripts/cargo-deny.sh [check names...]     e.g. scripts/cargo-deny.sh advisories
#        WARDEN_ADVISORY_DB=/path/to/advisory-db scripts/cargo-deny.sh
set -euo pipefail

root=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
cd "$root"
snapshot=${WARDEN_ADVISORY_DB:-$root/../shared/advisory-db}

if [[ ! -d $snapshot/crates ]]; then
  echo "cargo-deny: no advisory snapshot at $snapshot; fetching the database online"
  exec cargo deny --locked check "$@"
fi

snapshot=$(cd "$snapshot" && pwd)
db_root=${CARGO_TARGET_DIR:-$root/target}/advisory-dbs
# cargo-deny's directory name for https://github.com/rustsec/advisory-db (name + url hash).
db=$db_root/advisory-db-3157b0e258782691
stamp=$(cat "$snapshot/SNAPSHOT" 2>/dev/null || echo "unknown snapshot")

if [[ ! -d $db/.git || $(cat "$db/.snapshot-source" 2>/dev/null) != "$snapshot $stamp" ]]; then
  echo "cargo-deny: preparing an offline advisory database from $snapshot"
  rm -rf "$db"
  mkdir -p "$db"
  cp -R "$snapshot/." "$db/"
  chmod -R u+w "$db"
  # Record the snapshot's own date as the commit date when SNAPSHOT names one.
  date=$(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' <<<"$stamp" | head -n 1 || true)
  (
    cd "$db"
    git init -q -b main .
    git add -A
    GIT_COMMITTER_DATE=${date:+${date}T00:00:00Z} GIT_AUTHOR_DATE=${date:+${date}T00:00:00Z} \
      git -c user.name=warden-ci -c user.email=ci@warden.invalid -c commit.gpgsign=false \
      commit -q -m "$stamp"
  )
  echo "$snapshot $stamp" >"$db/.snapshot-source"
fi

# The same policy as deny.toml, with db-path pointing at the offline copy.
config=$db_root/deny.toml
awk -v path="$db_root" '
  /^\[advisories\]/ { print; print "db-path = \"" path "\""; next }
  /^db-path[[:space:]]*=/ { next }
  { print }
' deny.toml >"$config"

echo "cargo-deny: advisories offline from $stamp"
# --offline: no advisory fetch (and cargo metadata offline, so fetch the crates first).
cargo fetch --locked --quiet
exec cargo deny --locked --offline --config "$config" check "$@"
