#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time (FUZZ_SECONDS each, default 20) on a
# copy of the committed seed corpus, so runs add nothing to git. Installs cargo-fuzz if it
# is missing (nightly is on the machine). Any crash or failed property fails the script;
# libFuzzer leaves the reproducer in fuzz/artifacts/<target>/.
#   scripts/fuzz-smoke.sh [target ...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH=${FUZZ_SECONDS:-20}
if ! rustup toolchain list | grep -q '^nightly'; then
  # CI must run every step: there, a missing toolchain is a failure, not a skip.
  if [ "${CI:-}" = true ]; then
    echo "fuzz smoke: FAILED: no nightly toolchain, and CI=true"
    exit 1
  fi
  echo "fuzz smoke: SKIPPED: no nightly toolchain (the property tests in tests/prop_*.rs still ran)"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build -O
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  [ -d "corpus/$t" ] && cp -r "corpus/$t/." "$work/$t/"
  log="$work/$t.log"
  if cargo +nightly fuzz run -O "$t" "$work/$t" -- -max_total_time="$SECONDS_EACH" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    eps=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
    printf 'fuzz %-22s ok   %10s runs  %8s exec/s\n' "$t" "${runs:-?}" "${eps:-?}"
  else
    printf 'fuzz %-22s FAILED (reproducer in fuzz/artifacts/%s/)\n' "$t" "$t"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz smoke: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz smoke: ${#targets[@]} targets, ${SECONDS_EACH}s each, no crash and no failed property"
