#!/usr/bin/env bash
# Lists the system calls lingerwatch makes on every path, by strace: what the seccomp
# allowlist (src/host/sandbox/syscalls.rs) is derived from. Run it on both static builds (and
# the glibc build the tests use) after a change that could make new calls:
#   scripts/trace-syscalls.sh target/x86_64-unknown-linux-musl/release/lingerwatch
# Paths: scan (table, json), health, run --once --dry-run, run --ticks, run to an http
# and an https webhook (a private CA), through a CONNECT proxy, SIGUSR1 and SIGTERM, and
# every resolver path (issue 19), each in a mount and network namespace of its own (as
# root: unshare -mn) with tests/support/dns.py on port 53 and its own resolv.conf and
# hosts bind-mounted over /etc: UDP, TCP after a truncated UDP answer, an IPv6
# nameserver, search/ndots, NXDOMAIN, a nameserver that never answers, /etc/hosts, and a
# proxy given by name. It runs with the sandbox off (WATCHDOG_SANDBOX=false), so it sees everything
# the program would do; prints one syscall name per line, sorted, with how many paths
# used it.
set -euo pipefail
self=$(realpath "$0")
inside=false
if [ "${1:-}" = --inside ]; then inside=true; shift; fi # one resolver path, see below
bin=$(realpath "${1:?usage: $0 BINARY}")
cd "$(dirname "$0")/.."
pids=()
if $inside; then
  work=$2; shift 2
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
else
  work=$(mktemp -d)
  cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
  }
  trap cleanup EXIT
fi
export WATCHDOG_SANDBOX=${WATCHDOG_SANDBOX:-false} WATCHDOG_HEARTBEAT_FILE="$work/hb" WATCHDOG_PROC_PATTERNS=lingerwatch-trace

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
  # The daemon's pid starts the trace's first line (its execve): pgrep -P on a busy
  # machine could miss it, and a daemon never found is never stopped.
  for _ in $(seq 500); do
    daemon=$(awk 'NR == 1 {print $1}' "$work/trace.$name" 2>/dev/null || true)
    [ -n "$daemon" ] && break
    sleep 0.02
  done
  sleep "$secs"
  kill -USR1 "$daemon" 2>/dev/null || true
  sleep 0.3
  kill -TERM "$daemon" 2>/dev/null || true
  wait "$sp" || true
}

resolver_path() { # inside fresh mount and network namespaces: NAME MODE RESOLV_CONF HOSTS HOST [PROXY]
  local name=$1 mode=$2 conf=$3 hosts=$4 host=$5 proxy=${6:-}
  [ "$hosts" != - ] || hosts=""
  ip link set lo up
  printf '%b' "$conf" > "$work/resolv.$name"
  printf '%b' "$hosts" > "$work/hosts.$name"
  printf 'hosts: files dns\n' > "$work/nsswitch.$name"
  mount --bind "$work/resolv.$name" /etc/resolv.conf
  mount --bind "$work/hosts.$name" /etc/hosts
  [ ! -e /etc/nsswitch.conf ] || mount --bind "$work/nsswitch.$name" /etc/nsswitch.conf
  python3 tests/support/dns.py "$mode" --bind 127.0.0.1 --bind ::1 --log "$work/dns.$name.log" \
    --name hook.test=127.0.0.1 --name hook.sub.corp.test=127.0.0.1 --name proxy.test=127.0.0.1 \
    > "$work/port.dns.$name" & pids+=($!)
  for _ in $(seq 100); do grep -q PORT "$work/port.dns.$name" 2>/dev/null && break; sleep 0.05; done
  rm -f "$work/port.hook" # the previous path's
  peer hook record
  if [ -n "$proxy" ]; then
    http_proxy="http://$proxy:$hook" run_for 3 "resolver-$name" --webhook-url "http://hook.elsewhere.test/hook"
  else
    run_for 3 "resolver-$name" --webhook-url "http://$host:$hook/hook"
  fi
}
if $inside; then
  resolver_path "$@"
  exit
fi

# A matching process old enough to alert.
ln -s /bin/sleep "$work/lingerwatch-trace"
"$work/lingerwatch-trace" 600 & pids+=($!)
sleep 1.2

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

# The resolver paths, each in namespaces of its own: NAME MODE RESOLV_CONF HOSTS HOST
# [PROXY], with _ for a space and - for an empty hosts file.
one_try='options_timeout:1_attempts:1\n'
while read -r name mode conf hosts host proxy; do
  unshare -mn --propagation private "$self" --inside "$bin" "$work" \
    "$name" "$mode" "${conf//_/ }" "${hosts//_/ }" "$host" "$proxy"
done <<EOF
udp answer nameserver_127.0.0.1\n - hook.test
tcp truncate nameserver_127.0.0.1\n - hook.test
ipv6 truncate nameserver_::1\n - hook.test
search truncate nameserver_127.0.0.1\nsearch_corp.test\noptions_ndots:2\n - hook.sub
nxdomain nxdomain nameserver_127.0.0.1\n - nowhere.test
silent silent nameserver_127.0.0.1\n$one_try - hook.test
hosts silent nameserver_127.0.0.1\n$one_try 127.0.0.1_hook.hosts.test\n hook.hosts.test
proxy truncate nameserver_127.0.0.1\n - - proxy.test
EOF

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
