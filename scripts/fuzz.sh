#!/usr/bin/env bash
# Run every cargo-fuzz target of fuzz/ for a bounded time; fail on a crash (see
# docs/security-testing.md).
#
#   scripts/fuzz.sh                    every target, FUZZ_SECONDS each (default 30)
#   FUZZ_SECONDS=600 scripts/fuzz.sh   a longer run (`make fuzz`)
#   scripts/fuzz.sh jwt_verify         only the named targets
#
# Needs the nightly toolchain and cargo-fuzz. When either is missing and cannot be installed,
# it prints one `SKIP: fuzz: <reason>` line and exits 0, so CI on a machine without nightly
# still passes. A crash leaves its input under fuzz/artifacts/<target>/ and exits non-zero.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"

seconds=${FUZZ_SECONDS:-30}
# FUZZ_QUICK_BUILD=1 (the bounded run of .ci/run): an unoptimised build without AddressSanitizer,
# which compiles in a fraction of the time of the optimised sanitizer build on a cold machine.
# warden itself forbids unsafe code, so the sanitizer mainly watches dependencies; `make fuzz`
# keeps the optimised AddressSanitizer build.
if [[ ${FUZZ_QUICK_BUILD:-0} == 1 ]]; then
  build_flags=(--dev --sanitizer none)
  build_kind="unoptimised, no sanitizer"
else
  build_flags=(-O)
  build_kind="address sanitizer, optimised"
fi

skip() {
  echo "SKIP: fuzz: $*"
  exit 0
}

command -v rustup >/dev/null || skip "rustup is not installed (nightly toolchain needed)"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal >/dev/null 2>&1 ||
    skip "the nightly toolchain is not installed and could not be installed"
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz: installing cargo-fuzz (one-time, a few minutes)"
  timeout 900 cargo install cargo-fuzz --locked >/dev/null 2>&1 ||
    skip "cargo-fuzz is not installed and could not be installed within 15 minutes"
fi

mapfile -t all_targets < <(cargo +nightly fuzz list)
targets=("${@:-${all_targets[@]}}")
((${#targets[@]} > 0)) || { echo "fuzz: no targets found" >&2; exit 1; }

echo "fuzz: building ${#all_targets[@]} targets (nightly, $build_kind)"
build_log=$(mktemp)
# The sanitizer build of the whole dependency tree is the slow part of a cold run; it gets a
# budget so a slow machine cannot push .ci/run past its time limit (the skip is loud).
budget=${FUZZ_BUILD_BUDGET_SECS:-1200}
build_status=0
timeout "$budget" cargo +nightly fuzz build "${build_flags[@]}" >"$build_log" 2>&1 || build_status=$?
if ((build_status == 124)); then
  rm -f "$build_log"
  skip "the nightly fuzz build exceeded its ${budget}s budget (run scripts/fuzz.sh again: the build resumes)"
elif ((build_status != 0)); then
  tail -n 30 "$build_log" >&2
  echo "fuzz: build failed" >&2
  exit 1
fi
rm -f "$build_log"
# The fuzz workspace has its own lock file; a build that had to change it means warden's
# dependencies moved and fuzz/Cargo.lock was not committed with them (and a CI run would leave the
# clone dirty).
if ! git diff --quiet -- Cargo.lock; then
  echo "fuzz: fuzz/Cargo.lock is out of date with warden's dependencies; commit the updated file" >&2
  exit 1
fi

failed=()
for target in "${targets[@]}"; do
  corpus="corpus/$target"
  mkdir -p "$corpus"
  seeds="seeds/$target"
  dirs=("$corpus")
  [[ -d $seeds ]] && dirs+=("$seeds")
  log=$(mktemp)
  start=$(date +%s)
  status=0
  # -rss_limit_mb guards against a memory blow-up being missed; -timeout flags a slow input.
  cargo +nightly fuzz run "${build_flags[@]}" "$target" "${dirs[@]}" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=4096 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1 || true)
  [[ -n $runs ]] || runs=$(grep -Eo '#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
  echo "fuzz: $target: ${runs:-?} executions in $(($(date +%s) - start))s, exit $status"
  if ((status != 0)); then
    failed+=("$target")
    grep -E 'panicked|ERROR|SUMMARY|Test unit written|Base64' "$log" | head -n 20 || true
  fi
  rm -f "$log"
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/; reproduce with" \
    "cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a crash"
