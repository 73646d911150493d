#!/usr/bin/env bash
# Finds the memory limit (`--memory M --memory-swap M`) lingerwatch's container needs beside
# a crowd of host processes, for each count in MEMLIMIT_COUNTS: the working set, and the
# smallest limit (1 MiB resolution, by bisection) that survives MEMLIMIT_SECONDS; then
# derives the rule "limit >= A MiB + B KiB x host processes".
#
# Why the limit grows with the host: every /proc/<pid> directory a scan lists and every
# cmdline it opens leaves a dentry and a procfs inode in the container's own procfs
# instance, charged to the container's memory cgroup as kernel memory (about 1.8 KiB a
# process). The daemon's own RSS is about 1 MiB.
#
# Why the rule follows the working set and not the smallest limit that passed: below the
# working set every scan makes the kernel reclaim those dentries and inodes, which are
# freed only after an RCU grace period, while the charge that needs the room retries for
# about a millisecond and then calls the OOM killer. Surviving there is a race that is
# lost sooner or later (the lower the limit, the sooner), so one passing run proves little.
#
# Each run: caches dropped, the image started as docker-compose.yml starts it (pid: host,
# read-only, no capabilities, uid 65534, a /tmp tmpfs), one scan a second, a pattern that
# matches a few of the crowd so the stat/cgroup path runs too. Per count: one run at a
# generous limit measures the working set (its usage at the end), one just above it, then
# limits below it down to a failure, bisection between the failing and the passing limit,
# and the smallest passing limit once more (if it fails now, the answer moves up 1 MiB).
#
# The crowd is a symlinked sleep per process, as in scripts/bench.sh, spawned by
# scripts/memlimit/crowd.py. The script kills exactly the processes and containers it
# started, by pid and name, also when interrupted. Needs root (drop_caches), Docker and
# python3.
#   MEMLIMIT_COUNTS="1000 4000 12000 20000"  host processes to add (20000 only if it fits)
#   MEMLIMIT_SECONDS=60                      how long a run must survive
#   MEMLIMIT_IMAGE=lingerwatch:dev           use this image instead of building one
#   scripts/memlimit.sh
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${MEMLIMIT_SECONDS:-60}
counts=${MEMLIMIT_COUNTS:-"1000 4000 12000 20000"}
# Docker refuses --memory below 6 MiB.
docker_min_mib=6
tag="$$"
work=$(mktemp -d)
crowd_dir="$work/crowd"
results="$work/results"
crowd_pids=()
crowd_helpers=()
container=""
built_image=""

cleanup() {
  if [ -n "$container" ]; then docker rm -f "$container" >/dev/null 2>&1 || true; fi
  # Ours only: the sleepers this script started, by pid, then their parents (the helpers,
  # which reap them and kill any they spawned but had not reported yet).
  if [ ${#crowd_pids[@]} -gt 0 ]; then kill -9 "${crowd_pids[@]}" 2>/dev/null || true; fi
  if [ ${#crowd_helpers[@]} -gt 0 ]; then kill -TERM "${crowd_helpers[@]}" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ -n "$built_image" ]; then docker rmi -f "$built_image" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "memlimit: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root: caches are dropped before each run (/proc/sys/vm/drop_caches)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"
echo 2 >/proc/sys/vm/drop_caches || die "cannot write /proc/sys/vm/drop_caches"

cgroup_version=$(docker info -f '{{.CgroupVersion}}')
kernel=$(uname -r)
docker_version=$(docker version -f '{{.Server.Version}}')
echo "kernel $kernel, cgroup v$cgroup_version (docker info), Docker $docker_version, $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "cgroup mounts: $(mount | awk '$5 ~ /^cgroup/ {print $3 "(" $5 ")"}' | sed 's|/sys/fs/cgroup/||' | tr '\n' ' ')"

# --- the image ---------------------------------------------------------------------------
if [ -n "${MEMLIMIT_IMAGE:-}" ]; then
  image=$MEMLIMIT_IMAGE
  docker image inspect "$image" >/dev/null 2>&1 || die "no image $image"
else
  # As scripts/build-image.sh, but under a tag of this run's own: lingerwatch:dev is shared
  # by every checkout on this engine and could be rebuilt by another one mid-run.
  scripts/build-static.sh >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "build failed"; }
  mkdir "$work/context"
  cp target/x86_64-unknown-linux-musl/release/lingerwatch Dockerfile.scratch "$work/context/"
  built_image="lingerwatch-memlimit:$tag"
  docker build -q -f "$work/context/Dockerfile.scratch" -t "$built_image" "$work/context" \
    >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "docker build failed"; }
  image=$built_image
fi
echo "image $image ($(docker image inspect -f '{{.Id}}' "$image" | cut -c1-19))"

# --- the crowd ---------------------------------------------------------------------------
# Pids in /proc (a glob: a pid may vanish mid-listing, which find and ls report as errors).
pid_count() { local p=(/proc/[0-9]*); echo "${#p[@]}"; }
# Sleepers whose argv[0] names them (a symlinked sleep), every 1000th matching the
# pattern, up to $1 in all. scripts/memlimit/crowd.py spawns them and stays their parent.
grow_crowd() {
  local have=${#crowd_pids[@]} before pidfile deadline=$((SECONDS + 300)) new
  before=$(pid_count)
  mkdir -p "$crowd_dir"
  pidfile="$work/crowd.$have.pids"
  python3 scripts/memlimit/crowd.py "$crowd_dir" "$have" "$1" "$pidfile" </dev/null >/dev/null 2>&1 &
  crowd_helpers+=($!)
  until [ "$(tail -n 1 "$pidfile" 2>/dev/null)" = ready ]; do
    [ $SECONDS -lt $deadline ] || die "the crowd did not start within 300 s"
    kill -0 "${crowd_helpers[-1]}" 2>/dev/null || die "the crowd helper died"
    sleep 0.2
  done
  mapfile -t new < <(grep -v '^ready$' "$pidfile")
  crowd_pids+=("${new[@]}")
  echo "crowd: $1 sleepers (was $have; /proc had $before pids, now $(pid_count))"
}

# Whether N more processes fit: pid_max, threads-max, RLIMIT_NPROC (root is exempt) and
# memory (a sleeper costs about 180 KiB of kernel and page-table memory here; keep half
# free).
fits() {
  local want=$(($1 + $(pid_count) + 500)) nproc avail_kib
  nproc=$(ulimit -u)
  [ "$want" -lt "$(cat /proc/sys/kernel/pid_max)" ] || return 1
  [ "$want" -lt "$(cat /proc/sys/kernel/threads-max)" ] || return 1
  [ "$(id -u)" = 0 ] || [ "$nproc" = unlimited ] || [ "$want" -lt "$nproc" ] || return 1
  avail_kib=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
  [ $(($1 * 200)) -lt $((avail_kib / 2)) ]
}

# --- one run -----------------------------------------------------------------------------
# The container's memory cgroup directory, from the daemon's /proc/<pid>/cgroup.
cgroup_dir() {
  if [ "$cgroup_version" = 1 ]; then
    echo "/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' "/proc/$1/cgroup")"
  else
    echo "/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' "/proc/$1/cgroup")"
  fi
}
# usage peak kmem kmem_peak, in bytes. v2 keeps no kmem peak: the caller keeps the max.
sample() {
  local d=$1 u p k kp
  if [ "$cgroup_version" = 1 ]; then
    u=$(cat "$d/memory.usage_in_bytes") p=$(cat "$d/memory.max_usage_in_bytes")
    k=$(cat "$d/memory.kmem.usage_in_bytes") kp=$(cat "$d/memory.kmem.max_usage_in_bytes")
  else
    u=$(cat "$d/memory.current") p=$(cat "$d/memory.peak")
    k=$(awk '$1 == "kernel" {print $2}' "$d/memory.stat") kp=$k
  fi
  [[ "$u $p $k $kp" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]] && echo "$u $p $k $kp"
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# run_once MIB: one container at that limit for $seconds. Sets verdict (pass|oom), lived_s,
# peak and kmem_peak (bytes, the cgroup's high-water marks, which include the start-up of
# runc init), usage and kmem (bytes, the last sample: the steady state of a run that
# passed), hwm_kib (the daemon's VmHWM) and procs (most pids in /proc).
run_once() {
  local mib=$1 start pid dir now s p kp state klog
  echo 2 >/proc/sys/vm/drop_caches
  klog=$(dmesg | wc -l)
  container="lwmemlimit-$tag-$mib-$RANDOM"
  docker run -d --name "$container" --pid=host --read-only --cap-drop ALL \
    --user 65534:65534 --memory "${mib}m" --memory-swap "${mib}m" \
    --tmpfs /tmp:size=1m,mode=1777 \
    -e WATCHDOG_PROC_INTERVAL_S=1 -e WATCHDOG_PROC_PATTERNS=pytest-memlimit \
    "$image" >/dev/null
  start=$(date +%s%N)
  pid=$(docker inspect -f '{{.State.Pid}}' "$container")
  dir=$(cgroup_dir "$pid" 2>/dev/null || true)
  peak=0 kmem_peak=0 usage=0 kmem=0 hwm_kib=0 procs=$(pid_count)
  while :; do
    # Sampled while it lives: the cgroup directory goes with the container.
    if s=$(sample "$dir" 2>/dev/null); then
      read -r usage p kmem kp <<<"$s"
      [ "$p" -le "$peak" ] || peak=$p
      [ "$kp" -le "$kmem_peak" ] || kmem_peak=$kp
      p=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -z "$p" ] || [ "$p" -le "$hwm_kib" ] || hwm_kib=$p
    fi
    now=$(date +%s%N)
    [ "$(docker inspect -f '{{.State.Running}}' "$container")" = true ] || break
    [ $(( (now - start) / 1000000000 )) -lt "$seconds" ] || break
    sleep 0.5
  done
  lived_s=$(( (now - start) / 1000000000 ))
  state=$(docker inspect -f '{{.State.Running}} {{.State.OOMKilled}} {{.State.ExitCode}}' "$container")
  p=$(pid_count); [ "$p" -le "$procs" ] || procs=$p
  # Docker's OOMKilled misses some memcg OOM kills here (the container exits 137 and the
  # flag says false), so a SIGKILLed daemon is also looked up in the kernel log.
  oom_source=docker
  case "$state" in
    "true false "*) verdict=pass ;;
    "false true "*) verdict=oom ;;
    "false false 137") if dmesg | tail -n +"$((klog + 1))" | grep -q "Killed process $pid ("; then
        verdict=oom oom_source=kernel
      else
        die "the container at ${mib} MiB was SIGKILLed, but not by the OOM killer"
      fi ;;
    *)
      docker logs "$container" 2>&1 | tail -5 >&2
      die "the container at ${mib} MiB ended without an OOM kill (running, OOMKilled, exit: $state)"
      ;;
  esac
  docker rm -f "$container" >/dev/null 2>&1 || true
  container=""
  printf '  %6d pids in /proc  %3d MiB  %-4s  lived %2d s  peak %5s MiB  kmem peak %5s MiB  RSS %4d KiB%s\n' \
    "$procs" "$mib" "$verdict" "$lived_s" "$(mib "$peak")" "$(mib "$kmem_peak")" "$hwm_kib" \
    "$([ "$oom_source" = kernel ] && echo "  (OOM kill from the kernel log; Docker's OOMKilled said false)")"
}
# Keeps the figures of the run that set the current passing bound.
keep_pass() { pass_peak=$peak pass_kmem=$kmem_peak pass_hwm=$hwm_kib pass_procs=$procs; }

# --- the search --------------------------------------------------------------------------
echo "each run: $seconds s, one scan a second; caches dropped before each"
for n in $(tr ' ' '\n' <<<"$counts" | sort -n); do
  if ! fits "$n"; then
    echo "skipping $n: pid_max $(cat /proc/sys/kernel/pid_max), ulimit -u $(ulimit -u) or memory ($(awk '/MemAvailable/ {print $2}' /proc/meminfo) KiB available) does not allow it"
    continue
  fi
  grow_crowd "$n"
  # A generous limit first (about twice the working set seen here): its usage at the end
  # is the working set, and it is the first passing bound.
  hi=$((8 + n * 4 / 1024))
  run_once "$hi"
  while [ "$verdict" != pass ]; do
    hi=$((hi * 3 / 2)); [ "$hi" -le 1024 ] || die "no limit up to 1 GiB passes"
    run_once "$hi"
  done
  keep_pass
  ws_peak=$peak ws_usage=$usage ws_kmem=$kmem ws_procs=$procs
  ws_mib=$(( (ws_peak + 1048575) / 1048576 ))
  # Just above the working set's peak: nothing needs reclaiming there, so it should pass.
  c=$((ws_mib + 1)); [ "$c" -ge "$docker_min_mib" ] || c=$docker_min_mib
  while [ "$c" -lt "$hi" ]; do
    run_once "$c"
    if [ "$verdict" = pass ]; then hi=$c; keep_pass; break; fi
    c=$((c + 2))
  done
  # Below the working set, stepping down until a run fails (5 MiB stands for "below
  # Docker's minimum": nothing lower can be tried).
  lo=$((ws_mib - 2))
  while :; do
    [ "$lo" -lt "$hi" ] || lo=$((hi - 1))
    [ "$lo" -ge "$docker_min_mib" ] || { lo=$((docker_min_mib - 1)); break; }
    run_once "$lo"
    [ "$verdict" = pass ] || break
    hi=$lo; keep_pass
    lo=$((lo * 3 / 4))
  done
  # Bisection: lo fails (or is below Docker's minimum), hi passes.
  while [ $((hi - lo)) -gt 1 ]; do
    mid=$(( (lo + hi) / 2 ))
    run_once "$mid"
    if [ "$verdict" = pass ]; then hi=$mid; keep_pass; else lo=$mid; fi
  done
  # Confirmation: the smallest passing limit runs again; if it fails now, the answer moves
  # up 1 MiB, until a limit passes.
  flakes=0
  while :; do
    run_once "$hi"
    if [ "$verdict" = pass ]; then keep_pass; break; fi
    flakes=$((flakes + 1)) lo=$hi hi=$((hi + 1))
    [ "$flakes" -le 4 ] || die "the limit kept failing its confirmation up to $hi MiB"
  done
  echo "$n $pass_procs $hi $lo $pass_peak $pass_kmem $pass_hwm $ws_usage $ws_kmem $flakes $ws_peak $ws_procs" >>"$results"
done

# --- the table and the rule --------------------------------------------------------------
[ -s "$results" ] || die "no count was measured"
echo
echo "kernel $kernel, cgroup v$cgroup_version, Docker $docker_version; each run $seconds s at one scan a second"
echo
echo "| host processes | working set: usage at a generous limit | its kmem | its peak (with start-up) | smallest limit that passed | highest that failed | peak / kmem peak at the smallest | daemon RSS (VmHWM) | confirmation run |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
while read -r n procs hi lo pp pk ph wu wk flakes wp wprocs; do
  lo_text="$lo MiB"; [ "$lo" -ge "$docker_min_mib" ] || lo_text="none: $docker_min_mib MiB is Docker's minimum"
  conf="passed"; [ "$flakes" -eq 0 ] || conf="failed $flakes time(s): moved up to the first limit that passed"
  echo "| $wprocs ($n added) | $(mib "$wu") MiB | $(mib "$wk") MiB | $(mib "$wp") MiB | $hi MiB | $lo_text | $(mib "$pp") / $(mib "$pk") MiB | $ph KiB | $conf |"
done <"$results"
echo
# The rule is fitted to the working set, not to the smallest limit that passed: below the
# working set every scan makes the kernel reclaim procfs dentries and inodes, which are
# freed only after an RCU grace period, while the charge that needs the room retries for
# about a millisecond and then calls the OOM killer. Whether a run survives there is a race
# (time to OOM grows with the limit); at or above the working set nothing is reclaimed.
awk -v margin=25 -v cg="$cgroup_version" -v min="$docker_min_mib" '
  { n++; x = $12; w = $8 / 1048576; k = $9 / 1048576; x2 = $2; y = $3
    sx += x; sxx += x * x; sw += w; sxw += x * w; sk += k; sxk += x * k
    sx2 += x2; sxx2 += x2 * x2; sy += y; sxy += x2 * y }
  END {
    d = n * sxx - sx * sx; d2 = n * sxx2 - sx2 * sx2
    if (n < 2 || d == 0 || d2 == 0) { printf "one count only: no slope to fit\n"; exit }
    bw = (n * sxw - sx * sw) / d; aw = (sw - bw * sx) / n
    bk = (n * sxk - sx * sk) / d; ak = (sk - bk * sx) / n
    by = (n * sxy - sx2 * sy) / d2; ay = (sy - by * sx2) / n
    printf "working set: %.2f MiB + %.3f KiB x host processes (of which kmem %.2f MiB + %.3f KiB x host processes)\n", aw, bw * 1024, ak, bk * 1024
    printf "smallest limit that passed one run (a race, see above): %.2f MiB + %.3f KiB x host processes\n", ay, by * 1024
    ra = int(aw * (1 + margin / 100) + 0.999)
    rb = int(bw * 1024 * (1 + margin / 100) * 10 + 0.999) / 10
    printf "rule (cgroup v%s): limit >= max(%d MiB, %d MiB + %.1f KiB x host processes): the working set plus %d%% on both terms\n", cg, min, ra, rb, margin
    split("1000 4000 12000 20000 50000", e, " ")
    for (i = 1; i <= 5; i++) { v = int(ra + rb * e[i] / 1024 + 0.999); if (v < min) v = min; printf "  %6d processes: %d MiB\n", e[i], v }
  }' "$results"
if [ "$cgroup_version" = 1 ]; then
  echo "cgroup v2 was not measured: this engine runs cgroup v1 (see the mounts above)."
fi
