#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: scan cost against the syscall floor and `pgrep -f`, per-pid
# and marginal; the whole program against the floor (sandbox on and off) and pgrep
# (scripts/bench-floor.sh, also runnable alone); allocations per daemon tick; peak RSS of
# the real static daemons over many ticks on 4,000 processes; binary sizes; and the
# daemon's CPU over 10 minutes against the floor's at the same rate; then the memory limit
# its container needs per host process count (scripts/memlimit.sh, about 26 minutes, root
# and Docker; BENCH_MEMLIMIT=false leaves it out).
# It kills exactly the processes it started, by pid, also when interrupted.
#   BENCH_N=0,1000,4000 BENCH_ROUNDS=31 BENCH_ALLOC_TICKS=10000 BENCH_RSS_TICKS=10000
#   BENCH_CPU_SECONDS=600 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_PIDFILE
BENCH_PIDFILE=$(mktemp)
crowd_pids=()
cleanup() {
  # Ours only: the pids the harness and this script recorded.
  while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$BENCH_PIDFILE"
  for pid in "${crowd_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -f "$BENCH_PIDFILE"
  [ -n "${crowd_dir:-}" ] && rm -rf "$crowd_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v pgrep >/dev/null || scripts/install-deps.sh
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

mkdir -p target/bench
scripts/build-static.sh --no-default-features >/dev/null 2>&1
cp target/x86_64-unknown-linux-musl/release/lingerwatch target/bench/lingerwatch-http
scripts/build-static.sh >/dev/null 2>&1
cp target/x86_64-unknown-linux-musl/release/lingerwatch target/bench/lingerwatch-https
echo "binary size: HTTP-only $(stat -c %s target/bench/lingerwatch-http) bytes (budget 638976: 560 KiB + proxy 4 KiB + sandbox 48 KiB + metrics 12 KiB), HTTPS $(stat -c %s target/bench/lingerwatch-https) bytes (budget 2411724)"
# What each dependency costs: .text per crate of unstripped builds (cargo-bloat; its own
# target dir, so the shipped builds above stay as they are).
command -v cargo-bloat >/dev/null || cargo install cargo-bloat --locked >/dev/null 2>&1
for features in --no-default-features ""; do
  echo "text per crate, ${features:-default (HTTPS)} build:"
  CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR=target/bench/bloat \
    cargo bloat --release --target x86_64-unknown-linux-musl --crates -n 14 $features 2>/dev/null |
    sed -n '/^ File/,/section size/p'
done

# The syscall floor: its own crate at opt-level 3 (scripts/bench/floor/), static musl.
# shellcheck source=scripts/bench/peers.sh
. scripts/bench/peers.sh
floor_bin=$(build_peer floor lingerwatch-floor)

echo
BENCH_LINGERWATCH_BIN=target/bench/lingerwatch-http BENCH_FLOOR_BIN=$floor_bin \
  cargo bench --bench scan 2>/dev/null

echo
BENCH_LINGERWATCH_BINS="lingerwatch=target/bench/lingerwatch-http" scripts/bench-floor.sh

# shellcheck source=scripts/bench/crowd.sh
. scripts/bench/crowd.sh
kill_crowd() {
  for pid in "${crowd_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  crowd_pids=()
  rm -rf "$crowd_dir"
}

# Peak RSS: the real static daemons, --ticks back to back, every match alerting at once.
rss_ticks=${BENCH_RSS_TICKS:-10000}
spawn_crowd 4000
sleep 1
echo
for build in http https; do
  python3 - "target/bench/lingerwatch-$build" "$rss_ticks" "$build" <<'PY'
import subprocess, sys, time
# VmHWM of the daemon's own address space, sampled until it exits: the high-water mark
# is monotonic. (getrusage of children would count the forked parent before exec.)
binary, ticks, build = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.monotonic()
p = subprocess.Popen([binary, "run", "--ticks", ticks, "--age-s", "0", "--heartbeat-file", "/tmp/lingerwatch-bench.hb"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak_kib = 0
while p.poll() is None:
    try:
        for line in open(f"/proc/{p.pid}/status"):
            if line.startswith("VmHWM:"):
                peak_kib = max(peak_kib, int(line.split()[1]))
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    time.sleep(0.05)
budget = 1024 if build == "http" else 2560
print(f"peak RSS (VmHWM) of the {build} daemon over {ticks} ticks on 4000 extra processes: {peak_kib} KiB (budget {budget} KiB), {time.monotonic() - t:.0f} s")
PY
done
kill_crowd

# CPU: the HTTP-only daemon at its 30 s interval, 1000 extra processes, nothing to alert,
# over BENCH_CPU_SECONDS, against the floor's scans at the same rate in the same window.
# Both must run at the rate: a scan after 30 s of sleep finds the CPU and kernel caches
# cold and costs about twice a back-to-back scan. The floor starts half an interval after
# the daemon, so the two never scan at once, and each does cpu_s / 30 scans in the window.
cpu_s=${BENCH_CPU_SECONDS:-600}
interval=30
ticks=$(( cpu_s / interval ))
# utime+stime in clock ticks of every thread, and the precise on-CPU nanoseconds
# (schedstat) summed over the threads.
clock_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {print s}'; }
spawn_crowd 1000
sleep 1
target/bench/lingerwatch-http run --interval-s "$interval" --heartbeat-file /tmp/lingerwatch-bench.hb >/dev/null 2>&1 &
daemon=$!
crowd_pids+=("$daemon")
sleep $(( interval / 2 ))
ticks0=$(clock_ticks "$daemon"); ns0=$(cpu_ns "$daemon")
floor_out=$(mktemp)
"$floor_bin" --every-ms $(( interval * 1000 )) --scans "$ticks" pytest >"$floor_out" 2>/dev/null &
floor=$!
echo "$floor" >>"$BENCH_PIDFILE"
sleep "$cpu_s"
ticks1=$(clock_ticks "$daemon"); ns1=$(cpu_ns "$daemon")
wait "$floor" || true
kill -TERM "$daemon"; wait "$daemon" 2>/dev/null || true
kill_crowd
clk=$(getconf CLK_TCK)
echo
awk -v t=$(( ticks1 - ticks0 )) -v ns=$(( ns1 - ns0 )) -v c="$clk" -v s="$cpu_s" -v n="$ticks" -v i="$interval" \
  'BEGIN { printf "daemon: %d ticks, one every %d s, in %d s on 1000 extra processes used %.3f s of CPU by utime+stime (%.2f s by schedstat; %.3f ms per tick)\n", n, i, s, t / c, ns / 1e9, ns / 1e6 / n }'
floor_line=$(tail -n 1 "$floor_out")
rm -f "$floor_out"
echo "$floor_line"
floor_cpu=$(sed -n 's/.* used \([0-9.]*\) s of CPU.*/\1/p' <<<"$floor_line")
awk -v t=$(( ticks1 - ticks0 )) -v ns=$(( ns1 - ns0 )) -v c="$clk" -v f="$floor_cpu" \
  'BEGIN { printf "daemon CPU / floor CPU = %.2f by utime+stime, %.2f by schedstat  (budget <= 1.2)\n", (t / c) / f, (ns / 1e9) / f }'

if [ "${BENCH_MEMLIMIT:-true}" = true ]; then
  echo
  scripts/memlimit.sh
fi
