#!/usr/bin/env bash
# `lingerwatch scan` as a whole process against the honest syscall floor (issue 23): the
# floor is its own crate (scripts/bench/floor/), built at opt-level 3 outside lingerwatch's
# size-optimised profile, static musl. At each crowd size it times, interleaved, the floor,
# `lingerwatch scan --pattern pytest` with the sandbox on (by default, and with reads
# confined) and off, a program written with the procfs crate, and `pgrep -f pytest`,
# then the marginal cost per extra pid between the smallest and largest crowd.
# The figure is CPU time (user + system, from the child's rusage) as the median of
# per-round ratios to the floor, with the spread over rounds; wall clock is printed beside
# it. Each round runs the peers in a freshly shuffled order; the crowd is waited for until
# every process runs sleep, then warm-up rounds are run and thrown away; a round during
# which the number of pids moved is run again (scripts/bench/whole.py says why each).
# The load average and the pids that are not the bench's are printed: another crowd on the
# machine (someone else's bench) makes every /proc walk dearer and the ratios smaller.
# It kills exactly the processes it started, by pid, also when interrupted.
#   BENCH_N=0,4000 BENCH_ROUNDS=101 BENCH_WARMUP=3 BENCH_SEED=23 scripts/bench-floor.sh
#   BENCH_LINGERWATCH_BINS="before=path after=path"   more than one build, side by side
# (Also part of scripts/bench.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${BENCH_ROUNDS:-101}
warmup=${BENCH_WARMUP:-3}
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

# shellcheck source=scripts/bench/peers.sh
. scripts/bench/peers.sh
floor=$(build_peer floor lingerwatch-floor)
# The procfs crate's way (issue 23's table had it): its own crate, built the same way.
procfs=$(build_peer procfs lingerwatch-procfs-peer)
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
  # Reads confined too (WATCHDOG_SANDBOX_CONFINE_READS): what Landlock's read rules cost.
  # A build from before that setting confined reads by default and refuses the flag.
  rc=0
  "$path" scan --pattern lingerwatch-bench-none --confine-reads >/dev/null 2>&1 || rc=$?
  if [ "$rc" -le 1 ]; then
    peers+=("$label scan --confine-reads=$path scan --pattern pytest --confine-reads")
  fi
done
peers+=("procfs crate=$procfs pytest" "pgrep -f=pgrep -f pytest")

count_pids() {
  local all=(/proc/[0-9]*)
  echo "${#all[@]}"
}
echo "whole process; CPU time (user + system) is the figure, x floor the median of per-round ratios"
echo "start $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${ns[@]}"; do
  spawn_crowd "$n"
  settle_crowd
  total=$(count_pids)
  echo
  echo "N = $n extra processes: $total pids, $((total - n)) not the bench's; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ $((total - n)) -gt 1000 ]; then
    echo "warning: $((total - n)) other processes: is another bench's crowd running? the ratios will not compare"
  fi
  python3 scripts/bench/whole.py "$rounds" "$warmup" "$work/$n.json" "${peers[@]}"
  kill_crowd
done
echo
python3 scripts/bench/marginal.py "$work/${ns[0]}.json" "$work/${ns[-1]}.json"
echo
echo "end $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
