#!/usr/bin/env bash
# Lists the system calls lingerwatch makes on every path, by strace: what the seccomp
# allowlist (src/sandbox/allowlist.rs) is derived from. Run it on both static builds (and
# the glibc build the tests use) after a change that could make new calls:
#   scripts/trace-syscalls.sh target/x86_64-unknown-linux-musl/release/lingerwatch
# Paths: scan (table, json), health, run --once --dry-run, run --ticks, run to an http
# and an https webhook (a private CA), through a CONNECT proxy, a DNS lookup, SIGUSR1 and
# SIGTERM. It runs with the sandbox off (WATCHDOG_SANDBOX=false), so it sees everything
# the program would do; prints one syscall name per line, sorted, with how many paths
# used it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:?usage: $0 BINARY}")
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export WATCHDOG_SANDBOX=${WATCHDOG_SANDBOX:-false} WATCHDOG_HEARTBEAT_FILE="$work/hb" WATCHDOG_PROC_PATTERNS=lingerwatch-trace
# A matching process old enough to alert.
ln -s /bin/sleep "$work/lingerwatch-trace"
"$work/lingerwatch-trace" 600 & pids+=($!)
sleep 1.2

peer() { # peer NAME MODE [ARGS]: starts a peer.py server; its port in $NAME
  local var=$1; shift
  python3 tests/support/peer.py "$@" --log "$work/peer-$var.log" > "$work/port.$var" &
  pids+=($!)
  for _ in $(seq 100); do grep -q PORT "$work/port.$var" 2>/dev/null && break; sleep 0.05; done
  printf -v "$var" '%s' "$(awk '/PORT/ {print $2}' "$work/port.$var")"
}
trace() { # trace NAME ARGS...
  local name=$1; shift
  timeout 20 strace -f -qq -o "$work/trace.$name" "$@" >/dev/null 2>&1 || true
}
run_for() { # run_for SECONDS NAME ARGS... : the daemon, then SIGUSR1, then SIGTERM
  local secs=$1 name=$2; shift 2
  strace -f -qq -o "$work/trace.$name" "$bin" run --interval-s 1 --age-s 1 "$@" >/dev/null 2>&1 &
  local sp=$! daemon=""
  for _ in $(seq 100); do daemon=$(pgrep -P "$sp" || true); [ -n "$daemon" ] && break; sleep 0.02; done
  sleep "$secs"
  kill -USR1 "$daemon" 2>/dev/null || true
  sleep 0.3
  kill -TERM "$daemon" 2>/dev/null || true
  wait "$sp" || true
}

trace scan "$bin" scan
trace scan-json "$bin" scan --json
trace version "$bin" --version
run_for 1.5 stdout
trace health "$bin" health
trace once-dry "$bin" run --once --dry-run --age-s 1
trace ticks "$bin" run --ticks 3 --age-s 1

peer http record
run_for 3 http --webhook-url "http://127.0.0.1:$http/hook"
run_for 3 dns --webhook-url "http://lingerwatch-trace.invalid:$http/hook"
run_for 3 localhost --webhook-url "http://localhost:$http/hook"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ca \
  -keyout "$work/ca.key" -out "$work/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$work/leaf.key" -out "$work/leaf.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > "$work/ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/ext" -out "$work/leaf.pem" >/dev/null 2>&1
if "$bin" --help | grep -q WATCHDOG_WEBHOOK_CA_FILE; then
  peer https record --tls "$work/leaf.pem" "$work/leaf.key"
  WATCHDOG_WEBHOOK_CA_FILE="$work/ca.pem" run_for 3 https --webhook-url "https://127.0.0.1:$https/hook" || true
  if command -v tinyproxy >/dev/null; then
    tp=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    printf 'Port %s\nListen 127.0.0.1\nAllow 127.0.0.1\nLogFile "%s"\n' "$tp" "$work/tp.log" > "$work/tp.conf"
    tinyproxy -d -c "$work/tp.conf" >/dev/null 2>&1 & pids+=($!)
    sleep 0.5
    HTTPS_PROXY="http://127.0.0.1:$tp" WATCHDOG_WEBHOOK_CA_FILE="$work/ca.pem" \
      run_for 3 proxy --webhook-url "https://127.0.0.1:$https/hook"
  fi
fi
# One name per line per path, then counted across paths.
for f in "$work"/trace.*; do
  grep -oE '^[0-9]+ +[a-z_0-9]+\(' "$f" | sed -E 's/^[0-9]+ +//; s/\($//' | sort -u
done | sort | uniq -c | sort -k2
