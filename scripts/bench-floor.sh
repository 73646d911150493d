#!/usr/bin/env bash
# `lingerwatch scan` as a whole process against the honest syscall floor (issue 23): the
# floor is its own crate (scripts/bench/floor/), built at opt-level 3 outside lingerwatch's
# size-optimised profile, static musl. At each crowd size it times, interleaved, the floor,
# `lingerwatch scan --pattern pytest` with the sandbox on and off, and `pgrep -f pytest`
# (wall clock, user, sys; median ratio to the floor over rounds), then the marginal cost
# per extra pid between the smallest and largest crowd.
# It kills exactly the processes it started, by pid, also when interrupted.
#   BENCH_N=0,4000 BENCH_ROUNDS=31 scripts/bench-floor.sh
#   BENCH_LINGERWATCH_BINS="before=path after=path"   more than one build, side by side
# (Also part of scripts/bench.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${BENCH_ROUNDS:-31}
IFS=, read -r -a ns <<<"${BENCH_N:-0,4000}"
crowd_pids=()
crowd_dir=""
work=$(mktemp -d)
kill_crowd() {
  for pid in "${crowd_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${crowd_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  crowd_pids=()
  [ -n "$crowd_dir" ] && rm -rf "$crowd_dir"
  crowd_dir=""
}
trap 'kill_crowd; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
# shellcheck source=scripts/bench/crowd.sh
. scripts/bench/crowd.sh

floor=target/bench/floor/x86_64-unknown-linux-musl/release/lingerwatch-floor
CARGO_TARGET_DIR=target/bench/floor cargo build --release --locked --quiet \
  --target x86_64-unknown-linux-musl --manifest-path scripts/bench/floor/Cargo.toml
bins=${BENCH_LINGERWATCH_BINS:-}
if [ -z "$bins" ]; then
  if [ ! -x target/bench/lingerwatch-http ]; then
    mkdir -p target/bench
    scripts/build-static.sh --no-default-features >/dev/null 2>&1
    cp target/x86_64-unknown-linux-musl/release/lingerwatch target/bench/lingerwatch-http
  fi
  bins="lingerwatch=target/bench/lingerwatch-http"
fi
peers=("floor (opt-level 3)=$floor pytest")
for b in $bins; do
  label=${b%%=*} path=${b#*=}
  peers+=("$label scan=$path scan --pattern pytest" "$label scan --no-sandbox=$path scan --pattern pytest --no-sandbox")
done
peers+=("pgrep -f=pgrep -f pytest")

echo "whole process, $rounds interleaved rounds, medians; x floor is the median of per-round ratios"
pids=()
for n in "${ns[@]}"; do
  spawn_crowd "$n"
  sleep 1
  p=$("$floor" pytest | cut -d' ' -f1)
  pids+=("$p")
  echo
  echo "N = $n extra processes ($p pids):"
  python3 scripts/bench/whole.py "$rounds" "$work/$n.json" "${peers[@]}"
  kill_crowd
done
echo
python3 scripts/bench/marginal.py "$work/${ns[0]}.json" "${pids[0]}" "$work/${ns[-1]}.json" "${pids[-1]}"
