#!/usr/bin/env bash
# Proves the docs gate (scripts/docs-gate.sh) catches drift: the repository's tracked files are
# copied to a temporary directory, the gate must pass on the clean copy, then each case plants
# one drift in a fresh copy and the gate must fail naming it. Seconds; no build.
# Usage: bash tests/docs/gate-test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
pristine="$scratch/pristine"
mkdir -p "$pristine"
git ls-files -co --exclude-standard -z | grep -zv -e '^target/' -e '^fuzz/target/' |
  xargs -0 cp --parents -t "$pristine" 2>/dev/null || true
# A repository, so that `git ls-files -co` (tracked and untracked files) lists the copy's files.
git -C "$pristine" init -q

# The whole gate (lint and link tools too), or only its static checks (faster) with `static`.
gate() {
  if [[ ${2:-} == static ]]; then
    (cd "$1" && python3 scripts/docs_gate.py) >"$scratch/out" 2>&1
  else
    (cd "$1" && DOCS_GATE_SELFTEST=0 bash scripts/docs-gate.sh) >"$scratch/out" 2>&1
  fi
}

# case_ [--full] NAME EXPECTED-OUTPUT-FRAGMENT COMMAND   (the command plants the drift in $copy)
case_() {
  local mode=static
  if [[ $1 == --full ]]; then mode=full; shift; fi
  local name=$1 expected=$2
  shift 2
  if [[ $mode == full && ${CI:-} != true ]] && ! { rumdl --version && lychee --version; } >/dev/null 2>&1; then
    echo "skip: $name (rumdl or lychee not installed: scripts/install-tools.sh python)"
    return 0
  fi
  copy="$scratch/case"
  rm -rf "$copy" && cp -a "$pristine" "$copy"
  (cd "$copy" && eval "$*")
  if gate "$copy" "$mode"; then
    echo "FAIL: $name: the gate passed on planted drift"
    failed=$((failed + 1))
  elif ! grep -qF -- "$expected" "$scratch/out"; then
    echo "FAIL: $name: the gate failed without naming it (expected: $expected)"
    sed 's/^/    /' "$scratch/out" | head -20
    failed=$((failed + 1))
  else
    echo "ok: $name"
    passed=$((passed + 1))
  fi
}

if gate "$pristine"; then
  echo "ok: the gate passes on an unmodified copy"
  passed=$((passed + 1))
else
  echo "FAIL: the gate fails on an unmodified copy:"
  sed 's/^/    /' "$scratch/out" | head -40
  failed=$((failed + 1))
fi

case_ "a make target that does not exist" "the Makefile has no target 'deploy-prod'" \
  'printf "\nRun \`make deploy-prod\`.\n" >> README.md'
case_ "a warden subcommand that does not exist" "\`warden frobnicate\`: no such subcommand" \
  'printf "\nRun \`warden frobnicate --all\`.\n" >> README.md'
case_ "a flag a subcommand does not have" "'migrate' has no flag --dry-run" \
  'printf "\n\`\`\`sh\nwarden migrate --dry-run\n\`\`\`\n" >> docs/operations.md'
case_ "a documented variable the code does not read" "WARDEN_IMAGINARY is documented but no code" \
  'printf "\n| \`WARDEN_IMAGINARY\` | unset | nothing |\n" >> docs/configuration.md'
case_ "a variable in .env.example the code does not read" "WARDEN_IMAGINARY is in .env.example" \
  'echo "WARDEN_IMAGINARY=1" >> .env.example'
case_ "a variable the code reads, missing from .env.example" "SECRET_KEY is read by the code but missing from .env.example" \
  "sed -i '/^#\\? *SECRET_KEY=/d' .env.example"
case_ "a new variable in src/config.rs, documented nowhere" "WARDEN_NEW_KNOB is read by the code but missing from docs/configuration.md and .env.example" \
  "sed -i 's/r.int_or(\"PORT\", 5500)/r.int_or(\"WARDEN_NEW_KNOB\", 5500)/' src/config.rs"
case_ "a relative link to a missing file" "link to no-such-page.md: no such file" \
  'printf "\nSee [the page](no-such-page.md).\n" >> docs/devops.md'
case_ "a repository path that does not exist" "\`scripts/no-such-script.sh\`: no such file" \
  'printf "\nRun \`scripts/no-such-script.sh\`.\n" >> CONTRIBUTING.md'
case_ "a citation of a file outside the repository" "outside the repository" \
  'printf "\nThe contract is \`../shared/spec/api.md\`.\n" >> docs/architecture.md'
case_ "a section of an external specification" "cites a section (§)" \
  'printf "\nAs the contract says (§6.4).\n" >> docs/operations.md'
case_ "a registered metric missing from the catalogue" "warden_logins_total is registered but missing" \
  "sed -i 's/r.register(\"auth_logins\"/r.register(\"logins\"/' src/metrics.rs"
case_ --full "a broken #anchor" "FAILED: lychee" \
  'printf "\nSee [a section](#no-such-section).\n" >> docs/operations.md'
case_ --full "a Markdown lint finding" "FAILED: rumdl" \
  'printf "\n\`\`\`\nno language\n\`\`\`\n" >> docs/operations.md'
case_ "a metric that src/metrics.rs does not register" "warden_imaginary_total: no such metric" \
  'printf "\nAlert on \`warden_imaginary_total\`.\n" >> docs/operations.md'

echo "gate-test: $passed passed, $failed failed"
((failed == 0))
