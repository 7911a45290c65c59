#!/usr/bin/env bash
# Proves that the git hooks of .pre-commit-config.yaml block bad commits.
# Builds a throw-away git repository with this project's hook configuration, a tiny Cargo crate
# for the Rust hooks, installs the hooks with `prek install` and makes real `git commit`s:
#   1. trailing whitespace is fixed in the file and the commit is blocked
#   2. a 1.5 MB file is blocked
#   3. a merge-conflict marker is blocked
#   4. unformatted Rust is blocked
#   5. the commit message "Added stuff." is rejected
#   6. the commit message "feat(api): add x" is accepted
# Needs: git, cargo, prek, committed, typos, cargo-deny, hadolint (installed by .ci/run or
# `make setup`). Exits non-zero if any case fails. Usage: bash tests/devops/hooks.sh
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/warden-hooks.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
pass() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL - $1"
  [[ -n ${2:-} && -f $2 ]] && sed 's/^/       | /' "$2" | tail -n 30
  failed=$((failed + 1))
}

for tool in git cargo prek committed typos cargo-deny hadolint; do
  command -v "$tool" >/dev/null || { echo "hooks.sh: '$tool' is not installed (run 'make setup')" >&2; exit 2; }
done

# --- the scratch repository -------------------------------------------------------------
cd "$work"
git init -q -b main repo
cd repo
git config user.name "Hook Test"
git config user.email "hooks@example.com"
git config commit.gpgsign false

for f in .pre-commit-config.yaml committed.toml _typos.toml rustfmt.toml deny.toml \
  scripts/lint-commit-msg.sh; do
  mkdir -p "$(dirname "$f")"
  cp "$repo_root/$f" "$f"
done
cat >Cargo.toml <<'TOML'
[package]
name = "hooktest"
version = "0.1.0"
edition = "2021"
license = "MIT"
publish = false

[dependencies]
TOML
mkdir -p src
cat >src/lib.rs <<'RUST'
//! A crate that exists only so the Rust hooks have something to check.

/// Adds two numbers.
pub fn add(left: i32, right: i32) -> i32 {
    left + right
}
RUST
printf '/target\n' >.gitignore
export CARGO_TARGET_DIR="$work/target"
cargo generate-lockfile --offline -q

prek install >/dev/null
[[ -x .git/hooks/pre-commit && -x .git/hooks/commit-msg ]] ||
  { echo "prek install did not install the pre-commit and commit-msg hooks" >&2; exit 1; }

git add -A
if git commit -q -m "chore: initial commit" >"$work/init.log" 2>&1; then
  pass "a clean tree with a conventional message is committed"
else
  fail "a clean tree with a conventional message is committed" "$work/init.log"
  exit 1
fi

# Runs `git commit` with message $2 after the caller staged its change; logs to $work/$1.log.
# Succeeds when the commit was made.
try_commit() {
  local name=$1 message=$2
  git commit -q -m "$message" >"$work/$name.log" 2>&1
}
head_is() { [[ $(git rev-parse HEAD) == "$1" ]]; }
clean_tree() { git reset -q --hard HEAD && git clean -qfdx -e target; }

base=$(git rev-parse HEAD)

# 1. trailing whitespace: fixed by the hook, commit blocked ---------------------------------
printf 'first line   \nsecond line\t\n' >notes.txt
git add notes.txt
if try_commit whitespace "docs: add notes"; then
  fail "trailing whitespace blocks the commit" "$work/whitespace.log"
elif ! head_is "$base"; then
  fail "trailing whitespace blocks the commit (HEAD moved)" "$work/whitespace.log"
elif ! grep -q 'hook id: trailing-whitespace' "$work/whitespace.log"; then
  fail "trailing whitespace blocks the commit (another hook failed)" "$work/whitespace.log"
elif grep -qE '[[:blank:]]$' notes.txt; then
  fail "trailing whitespace is removed from the file" "$work/whitespace.log"
else
  pass "trailing whitespace is fixed and the commit blocked"
fi
clean_tree

# 2. a 1.5 MB file is blocked ------------------------------------------------------------
head -c 1572864 /dev/zero | tr '\0' 'a' | fold -w 100 >big.txt
git add big.txt
if try_commit large "feat: add a big file"; then
  fail "a 1.5 MB file is blocked" "$work/large.log"
elif ! grep -q 'hook id: check-added-large-files' "$work/large.log" || ! head_is "$base"; then
  fail "a 1.5 MB file is blocked (by check-added-large-files)" "$work/large.log"
else
  pass "a 1.5 MB file is blocked"
fi
clean_tree

# 3. a merge-conflict marker is blocked ---------------------------------------------------
printf 'ours\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> feature\n' >conflict.txt
git add conflict.txt
if try_commit conflict "fix: resolve conflict"; then
  fail "a conflict marker is blocked" "$work/conflict.log"
elif ! grep -q 'hook id: check-merge-conflict' "$work/conflict.log" || ! head_is "$base"; then
  fail "a conflict marker is blocked (by check-merge-conflict)" "$work/conflict.log"
else
  pass "a conflict marker is blocked"
fi
clean_tree

# 4. unformatted Rust is blocked ----------------------------------------------------------
printf '//! Badly formatted.\n\n/// Adds.\npub fn add(left:i32,right:i32)->i32{left+right}\n' >src/lib.rs
git add src/lib.rs
if try_commit rustfmt "refactor: squeeze add"; then
  fail "unformatted Rust is blocked" "$work/rustfmt.log"
elif ! grep -q 'hook id: cargo-fmt' "$work/rustfmt.log" || ! head_is "$base"; then
  fail "unformatted Rust is blocked (by cargo-fmt)" "$work/rustfmt.log"
else
  pass "unformatted Rust is blocked"
fi
clean_tree

# 5. a non-conventional message is rejected ------------------------------------------------
printf 'A clean line.\n' >clean.txt
git add clean.txt
if try_commit badmsg "Added stuff."; then
  fail "the message 'Added stuff.' is rejected" "$work/badmsg.log"
elif ! grep -q 'hook id: conventional-commit' "$work/badmsg.log" || ! head_is "$base"; then
  fail "the message 'Added stuff.' is rejected (by the commit-msg hook)" "$work/badmsg.log"
else
  pass "the message 'Added stuff.' is rejected"
fi

# 6. a conventional message is accepted (same staged change) ---------------------------------
if try_commit goodmsg "feat(api): add x" && ! head_is "$base" &&
  [[ $(git log -1 --format=%s) == "feat(api): add x" ]]; then
  pass "the message 'feat(api): add x' is accepted"
else
  fail "the message 'feat(api): add x' is accepted" "$work/goodmsg.log"
fi

# 7. the other commit-msg rules (committed.toml + scripts/lint-commit-msg.sh) -------------------
check_msg() { # expected(0 accept|1 reject) message
  printf '%s\n' "$2" >"$work/msg.txt"
  local got=0
  scripts/lint-commit-msg.sh "$work/msg.txt" >"$work/msg.log" 2>&1 || got=1
  if [[ $got == "$1" ]]; then
    pass "commit message $([[ $1 == 0 ]] && echo accepted || echo rejected): '${2:0:40}'"
  else
    fail "commit message $([[ $1 == 0 ]] && echo accepted || echo rejected): '${2:0:40}'" "$work/msg.log"
  fi
}
check_msg 1 "Feat: add x"
check_msg 1 "feat: add x."
check_msg 1 "feat:"
check_msg 1 "wip: half done"
check_msg 1 "feat: $(printf 'x%.0s' {1..95})"
check_msg 0 "fix(db)!: drop legacy column"
check_msg 0 "revert: feat(api): add x"
check_msg 0 "chore(deps): bump serde from 1.0.1 to 1.0.2"

echo "hooks: $passed passed, $failed failed"
((failed == 0))
