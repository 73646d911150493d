#!/usr/bin/env bash
# End to end on a real Docker engine, with images built FROM scratch on this machine:
#   workload:    PID 1 is tini, which starts a shell (the "agent"), which starts a
#                long-lived process with `pytest` in its arguments; the test SIGKILLs the
#                agent, so the process is reparented onto tini: the incident lingerwatch
#                comes from (an agent SIGKILLed, its pytest adopted by the init).
#   receiver:    busybox httpd with a CGI that records each webhook body, reached by its
#                service name (so name resolution works inside the scratch image).
#   lingerwatch: pid: host, read-only root, no capabilities, uid 65534, thresholds of
#                seconds.
# It asserts FIRING (orphan, orphan_why ["init","launcher"]: adopted by its container's
# init, and lingerwatch saw the agent die; parent tini, the workload's container id), the
# same for a workload whose PID 1 is a shell (no name in any list), RESOLVED after the
# process is killed, `docker stop` within 2 s, a healthy health check, and the PID
# namespace warning of a lingerwatch without pid: host. Then WATCHDOG_PROC_ACTION=terminate
# (issue 24) on two more tini workloads: a sidecar as uid 0 with only KILL (cap_add)
# SIGTERMs the orphan and its child, tini stays, and the webhook gets "terminated";
# sidecars as uid 65534 without KILL, and with KILL added (Docker leaves it out of the
# effective set of a non-root user: checked in /proc), log the refusal and keep alerting;
# one with KILL but the default action never signals. Everything it creates is removed
# on exit, pass or fail. Skipped with one line when no Docker engine answers.
set -euo pipefail
# No `grep -q` at the end of a pipe here: it quits at its first match, and under pipefail
# the writer's SIGPIPE turns a found line into a failure (or a `!` check into a pass).
cd "$(dirname "$0")/.."

# shellcheck source=scripts/docker-engine.sh
. scripts/docker-engine.sh
need_docker e2e-docker
if docker compose version >/dev/null 2>&1; then
  compose() { docker compose "$@"; }
elif command -v docker-compose >/dev/null; then
  compose() { docker-compose "$@"; }
else
  echo "e2e-docker: installing docker-compose"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  compose() { docker-compose "$@"; }
fi
need=()
[ -x /usr/bin/tini-static ] || need+=(tini)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

tag="e2e$$$(date +%s)"
project="lwe2e${tag}"
work=$(mktemp -d)
fail() { echo "e2e-docker: FAIL: $*"; compose -p "$project" -f "$work/compose.yml" logs --no-color lingerwatch lw-kill lw-nocap lw-uidcap lw-alert 2>/dev/null | tail -40 || true; exit 1; }
cleanup() {
  compose -p "$project" -f "$work/compose.yml" down -v --remove-orphans -t 1 >/dev/null 2>&1 || true
  docker rm -f "${project}-nopid" >/dev/null 2>&1 || true
  docker rmi -f "lingerwatch-e2e-workload:$tag" "lingerwatch-e2e-receiver:$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "e2e-docker: building images (FROM scratch)"
scripts/build-image.sh >/dev/null 2>&1 || scripts/build-image.sh

# A scratch image with busybox applets as links.
busybox_tree() {
  mkdir -p "$1/bin"
  cp /bin/busybox "$1/bin/busybox"
  for applet in sh sleep kill cat head echo httpd; do ln -s busybox "$1/bin/$applet"; done
}
mkdir -p "$work/workload" "$work/receiver/www/cgi-bin"
busybox_tree "$work/workload"
cp /usr/bin/tini-static "$work/workload/tini"
# tini runs the orchestrator (tini exits with its child, so that one stays), which runs
# the agent, which runs pytest. The agent's own arguments do not hold the pattern.
cat > "$work/workload/orchestrator" <<'SH'
/bin/sh /agent &
while :; do sleep 3600; done
SH
cat > "$work/workload/agent" <<'SH'
echo $$ > /tmp/a.pid
N=py
/bin/sh -c 'echo $$ > /tmp/b.pid; sleep 100000; :' "${N}test-$TAG" &
wait
SH
cat > "$work/workload/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY bin /bin
COPY tini /tini
COPY orchestrator agent /
ENTRYPOINT ["/tini", "--", "/bin/sh", "/orchestrator"]
DOCKERFILE
busybox_tree "$work/receiver"
cat > "$work/receiver/www/cgi-bin/hook" <<'CGI'
#!/bin/sh
head -c "$CONTENT_LENGTH" >> /data/bodies.jsonl
echo >> /data/bodies.jsonl
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n'
CGI
chmod +x "$work/receiver/www/cgi-bin/hook"
cat > "$work/receiver/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY bin /bin
COPY www /www
ENTRYPOINT ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]
DOCKERFILE
for image in workload receiver; do
  docker build -q -t "lingerwatch-e2e-$image:$tag" "$work/$image" >"$work/build.log" 2>&1 ||
    fail "docker build of the $image image: $(cat "$work/build.log")"
done
# The compose file below only makes the health check faster; the image's own must run the
# same command.
[ "$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' lingerwatch:dev)" = '["CMD","/lingerwatch","health"]' ] ||
  fail "lingerwatch:dev has no HEALTHCHECK running /lingerwatch health"

pattern="pytest-e2e-$tag"
cat > "$work/compose.yml" <<YAML
# The sidecars of the terminate case (below) differ from this only where they say.
x-lw-term: &lw-term
  image: lingerwatch:dev
  pid: host
  read_only: true
  cap_drop: [ALL]
  security_opt: ["no-new-privileges:true"]
  user: "65534:65534"
  tmpfs: ["/tmp:size=1m,mode=1777"]
  depends_on: [receiver]
  environment: &lw-term-env
    WATCHDOG_PROC_PATTERNS: "pytest-ts-$tag"
    WATCHDOG_PROC_AGE_S: "2"
    WATCHDOG_PROC_INTERVAL_S: "1"
    WATCHDOG_PROC_ORPHANS_ONLY: "true"
    WATCHDOG_PROC_COOLDOWN_S: "3"
    WATCHDOG_PROC_ACTION: "terminate"
    WATCHDOG_PROC_TERMINATE_AFTER_S: "2"
    WATCHDOG_PROC_KILL_AFTER_S: "2"
    WATCHDOG_WEBHOOK_URL: "http://receiver:8080/cgi-bin/hook"
services:
  workload:
    image: lingerwatch-e2e-workload:$tag
    environment:
      TAG: "e2e-$tag"
    tmpfs: ["/tmp"]
  # The same workload with a shell as PID 1 (as "tail -f /dev/null" or a runner's wrapper
  # would be): a name in no list, found as its container's init all the same.
  workload-sh:
    image: lingerwatch-e2e-workload:$tag
    entrypoint: ["/bin/sh", "/orchestrator"]
    environment:
      TAG: "e2e-$tag-sh"
    tmpfs: ["/tmp"]
  receiver:
    image: lingerwatch-e2e-receiver:$tag
    tmpfs: ["/data:mode=1777"]
  lingerwatch:
    image: lingerwatch:dev
    pid: host
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    user: "65534:65534"
    tmpfs: ["/tmp:size=1m,mode=1777"]
    depends_on: [receiver]
    environment:
      WATCHDOG_PROC_PATTERNS: "$pattern"
      WATCHDOG_PROC_AGE_S: "2"
      WATCHDOG_PROC_INTERVAL_S: "1"
      WATCHDOG_PROC_ORPHANS_ONLY: "true"
      WATCHDOG_WEBHOOK_URL: "http://receiver:8080/cgi-bin/hook"
      WATCHDOG_HOST_LABEL: "e2e"
    healthcheck:
      test: ["CMD", "/lingerwatch", "health"]
      interval: 1s
      timeout: 2s
      retries: 3
  # WATCHDOG_PROC_ACTION=terminate (issue 24). Two more workloads, each with tini as
  # PID 1 and its own pattern: one for the sidecar that may end it, one that three
  # sidecars watch but none may signal.
  workload-kill:
    image: lingerwatch-e2e-workload:$tag
    environment:
      TAG: "tk-$tag"
    tmpfs: ["/tmp"]
  workload-spare:
    image: lingerwatch-e2e-workload:$tag
    environment:
      TAG: "ts-$tag"
    tmpfs: ["/tmp"]
  # The README's form for terminate: uid 0, every capability dropped but KILL.
  lw-kill:
    <<: *lw-term
    user: "0:0"
    cap_add: [KILL]
    environment:
      <<: *lw-term-env
      WATCHDOG_PROC_PATTERNS: "pytest-tk-$tag"
      WATCHDOG_HOST_LABEL: "e2e-kill"
  # terminate asked, but as uid 65534 with no capability: the workload's root-owned
  # pytest cannot be signalled.
  lw-nocap:
    <<: *lw-term
    environment:
      <<: *lw-term-env
      WATCHDOG_HOST_LABEL: "e2e-nocap"
  # KILL added, but for uid 65534: Docker puts it in the bounding set only (the README's
  # claim, checked here), so it is as powerless as lw-nocap.
  lw-uidcap:
    <<: *lw-term
    cap_add: [KILL]
    environment:
      <<: *lw-term-env
      WATCHDOG_HOST_LABEL: "e2e-uidcap"
  # All the privilege of lw-kill, but the default action: it alerts, never signals.
  lw-alert:
    <<: *lw-term
    user: "0:0"
    cap_add: [KILL]
    environment:
      <<: *lw-term-env
      WATCHDOG_PROC_ACTION: "alert"
      WATCHDOG_HOST_LABEL: "e2e-alert"
YAML
compose -p "$project" -f "$work/compose.yml" up -d >/dev/null 2>&1 || compose -p "$project" -f "$work/compose.yml" up -d
cid() { compose -p "$project" -f "$work/compose.yml" ps -q "$1"; }
wl=$(cid workload); rx=$(cid receiver); lw=$(cid lingerwatch)
wl_id=$(docker inspect -f '{{.Id}}' "$wl")
# How lingerwatch runs: what Docker was asked for, and (when this shell shares the
# engine's PID namespace) what the kernel says: uid 65534, no capabilities at all, no
# privilege gain, the host's PID namespace.
lw_full=$(docker inspect -f '{{.Id}}' "$lw")
[ "$(docker inspect -f '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.PidMode}} {{.HostConfig.CapDrop}}' "$lw")" = "65534:65534 true host [ALL]" ] ||
  fail "lingerwatch is not uid 65534, read-only, pid: host, cap_drop ALL"
lw_pid=$(docker inspect -f '{{.State.Pid}}' "$lw")
if grep -qs "$lw_full" "/proc/$lw_pid/cgroup"; then
  lw_status=$(cat "/proc/$lw_pid/status")
  grep -q $'^Uid:\t65534\t65534\t65534\t65534$' <<<"$lw_status" || fail "lingerwatch is not uid 65534: $(grep ^Uid <<<"$lw_status")"
  for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    grep -q "^$cap:[[:space:]]*0000000000000000$" <<<"$lw_status" || fail "lingerwatch has capabilities: $(grep ^Cap <<<"$lw_status")"
  done
  grep -q $'^NoNewPrivs:\t1$' <<<"$lw_status" || fail "lingerwatch lacks no-new-privileges"
  # Seccomp mode 2 with its own filters on top of Docker's default profile: more than the
  # receiver's container process has, which has Docker's alone.
  grep -q $'^Seccomp:\t2$' <<<"$lw_status" || fail "lingerwatch has no seccomp filter: $(grep ^Seccomp <<<"$lw_status")"
  rx_pid=$(docker inspect -f '{{.State.Pid}}' "$rx")
  lw_filters=$(awk '/^Seccomp_filters:/ {print $2}' <<<"$lw_status")
  rx_filters=$(awk '/^Seccomp_filters:/ {print $2}' "/proc/$rx_pid/status")
  [ "${lw_filters:-0}" -gt "${rx_filters:-0}" ] || fail "lingerwatch installed no filter of its own ($lw_filters against Docker's $rx_filters)"
  [ "$(readlink "/proc/$lw_pid/ns/pid")" = "$(readlink /proc/self/ns/pid)" ] || fail "lingerwatch is not in the host PID namespace"
  echo "e2e-docker: lingerwatch runs as uid 65534 with no capabilities, no-new-privileges, a read-only root, in the host PID namespace"
else
  echo "e2e-docker: lingerwatch is configured uid 65534, read-only, pid: host, cap_drop ALL (its /proc is not visible from here)"
fi

# It locked itself in: the kernel here (6.x) has Landlock's ABI 6.
wait_for_log() { # wait_for_log SECONDS TEXT
  local until=$((SECONDS + $1))
  until compose -p "$project" -f "$work/compose.yml" logs --no-color lingerwatch 2>/dev/null | grep "$2" >/dev/null; do
    [ $SECONDS -lt $until ] || fail "no '$2' in the lingerwatch log"
    sleep 0.5
  done
}
wait_for_log 20 "landlock: full, seccomp: on"
echo "e2e-docker: lingerwatch says: landlock: full, seccomp: on"

bodies() { docker exec "$rx" cat /data/bodies.jsonl 2>/dev/null || true; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local until=$((SECONDS + $1)) what=$2; shift 2
  until "$@"; do
    [ $SECONDS -lt $until ] || fail "timed out waiting for $what"
    sleep 0.5
  done
}
has_status() { bodies | grep "\"status\":\"$1\"" >/dev/null; }

wait_for 20 "the workload's pytest process" docker exec "$wl" cat /tmp/b.pid >/dev/null
wl_sh=$(cid workload-sh)
wait_for 20 "the shell workload's pytest process" docker exec "$wl_sh" cat /tmp/b.pid >/dev/null
sleep 3 # older than the 2 s threshold, but not yet an orphan: nothing may fire
if has_status firing; then fail "fired while the agent was alive (orphans only)"; fi

echo "e2e-docker: SIGKILL the agent shell; its pytest child is reparented onto tini"
docker exec "$wl" sh -c 'kill -9 $(cat /tmp/a.pid)'
wait_for 20 "FIRING" has_status firing
host_pid=$(docker top "$wl" -eo pid,args | awk -v p="$pattern" 'index($0, p) {print $1; exit}')
tini_pid=$(docker top "$wl" -eo pid,args | awk '$2 == "/tini" {print $1; exit}')
[ -n "$host_pid" ] && [ -n "$tini_pid" ] || fail "cannot find the orphan or tini: $(docker top "$wl" -eo pid,ppid,args)"
bodies | grep '"status":"firing"' | head -n 1 > "$work/firing.json"
python3 - "$work/firing.json" "$host_pid" "$tini_pid" "$wl_id" "$pattern" <<'PY' || fail "FIRING body: $(cat "$work/firing.json")"
import json, sys
path, pid, tini, cid, pattern = sys.argv[1:]
b = json.load(open(path))
checks = {
    "pid is the orphan": b["pid"] == int(pid),
    "ppid is tini": b["ppid"] == int(tini),
    "orphan": b["orphan"] is True,
    "parent tini": b["parent"] == "tini",
    # init: tini is its container's init; launcher: lingerwatch saw the agent die.
    "orphan_why init, launcher": b["orphan_why"] == ["init", "launcher"],
    "init in the text": "adopted by tini, the init of its container" in b["text"],
    "launcher in the text": "(sh) died" in b["text"],
    "container id": b["container"] == cid,
    "cmdline": pattern in b["cmdline"],
    "host label": b["host"] == "e2e",
    "text": "kill -TERM %s" % pid in b["text"],
}
bad = [k for k, ok in checks.items() if not ok]
if bad:
    sys.exit("failed: " + ", ".join(bad))
print("e2e-docker: FIRING ok: pid %s orphan of tini in container %s" % (pid, cid[:12]))
PY

echo "e2e-docker: SIGKILL the agent of the workload whose PID 1 is a shell; the shell adopts its pytest"
docker exec "$wl_sh" sh -c 'kill -9 $(cat /tmp/a.pid)'
sh_orphan=$(docker top "$wl_sh" -eo pid,args | awk -v p="$pattern-sh" 'index($0, p) {print $1; exit}')
sh_init=$(docker inspect -f '{{.State.Pid}}' "$wl_sh")
[ -n "$sh_orphan" ] || fail "cannot find the shell workload's pytest: $(docker top "$wl_sh" -eo pid,ppid,args)"
fired_for() { bodies | grep '"status":"firing"' | grep "\"pid\":$1," >/dev/null; }
wait_for 20 "FIRING for the shell's orphan" fired_for "$sh_orphan"
bodies | grep '"status":"firing"' | grep "\"pid\":$sh_orphan," | head -n 1 > "$work/firing-sh.json"
python3 - "$work/firing-sh.json" "$sh_orphan" "$sh_init" <<'PY' || fail "FIRING body: $(cat "$work/firing-sh.json")"
import json, sys
path, pid, init = sys.argv[1:]
b = json.load(open(path))
checks = {
    "ppid is the shell at PID 1": b["ppid"] == int(init),
    "parent sh": b["parent"] == "sh",
    "orphan_why init, launcher": b["orphan_why"] == ["init", "launcher"],
    "init in the text": "adopted by sh, the init of its container" in b["text"],
}
bad = [k for k, ok in checks.items() if not ok]
if bad:
    sys.exit("failed: " + ", ".join(bad))
print("e2e-docker: FIRING ok: pid %s orphan of the shell at PID 1, orphan_why [init, launcher]" % pid)
PY

docker exec "$wl" sh -c 'kill -9 $(cat /tmp/b.pid)'
wait_for 20 "RESOLVED" has_status resolved
bodies | grep '"status":"resolved"' | grep "\"pid\":$host_pid," >/dev/null || fail "RESOLVED names another pid"
echo "e2e-docker: RESOLVED ok"

wait_for 20 "a healthy health check" sh -c "[ \"\$(docker inspect -f '{{.State.Health.Status}}' $lw)\" = healthy ]"
echo "e2e-docker: health check healthy"

start=$(date +%s%N)
docker stop -t 10 "$lw" >/dev/null
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$took_ms" -lt 2000 ] || fail "docker stop took ${took_ms} ms"
echo "e2e-docker: docker stop took ${took_ms} ms"

out=$(docker run --name "${project}-nopid" --read-only --cap-drop ALL --user 65534:65534 \
  --tmpfs /tmp lingerwatch:dev run --once --pattern "$pattern" 2>&1 || true)
docker rm -f "${project}-nopid" >/dev/null 2>&1 || true
case "$out" in
  *"pid: host"*"hostPID: true"*) echo "e2e-docker: without pid: host it warns: $(grep -m1 warning <<<"$out")" ;;
  *) fail "no PID namespace warning: $out" ;;
esac

# --- WATCHDOG_PROC_ACTION=terminate (issue 24) ---
svc_log() { compose -p "$project" -f "$work/compose.yml" logs --no-color "$1" 2>/dev/null; }
# The whole log first: `grep -q` quits at its first match, and under pipefail the writer's
# SIGPIPE would fail the test although the line is there.
svc_log_has() { local log; log=$(svc_log "$1"); grep -qF "$2" <<<"$log"; }
# The statuses the receiver got from the sidecar labelled $1, one a line.
statuses_from() {
  bodies | python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line:
        b = json.loads(line)
        if b.get("host") == sys.argv[1]:
            print(b["status"])
' "$1"
}
count_from() { statuses_from "$1" | grep -cx "$2" || true; }
# What the kernel says of a sidecar (when this shell shares the engine's PID namespace).
caps_of() { # caps_of SERVICE -> "uid CapEff CapBnd", or nothing
  local id pid
  id=$(docker inspect -f '{{.Id}}' "$(cid "$1")")
  pid=$(docker inspect -f '{{.State.Pid}}' "$id")
  grep -qs "$id" "/proc/$pid/cgroup" || return 0
  awk '/^Uid:/ {u=$2} /^CapEff:/ {e=$2} /^CapBnd:/ {b=$2} END {print u, e, b}' "/proc/$pid/status"
}
for svc in lw-kill lw-nocap lw-uidcap lw-alert; do
  wait_for 20 "$svc to start" svc_log_has "$svc" "seccomp: on"
done
# CAP_KILL is bit 5. As uid 0 the added KILL is effective; as uid 65534 it is in the
# bounding set only: Docker hands added capabilities to root alone.
for want in "lw-kill 0 0000000000000020 0000000000000020" \
  "lw-uidcap 65534 0000000000000000 0000000000000020" \
  "lw-nocap 65534 0000000000000000 0000000000000000"; do
  got=$(caps_of "${want%% *}")
  [ -z "$got" ] || [ "${want%% *} $got" = "$want" ] || fail "uid CapEff CapBnd of ${want%% *}: $got, expected ${want#* }"
  [ -z "$got" ] || echo "e2e-docker: ${want%% *}: uid ${got%% *}, CapEff/CapBnd ${got#* }"
done

wl_kill=$(cid workload-kill); wl_spare=$(cid workload-spare)
wait_for 20 "the terminate workloads' pytest" sh -c "docker exec $wl_kill cat /tmp/b.pid && docker exec $wl_spare cat /tmp/b.pid" >/dev/null
kill_orphan=$(docker top "$wl_kill" -eo pid,args | awk -v p="pytest-tk-$tag" 'index($0, p) {print $1; exit}')
spare_orphan=$(docker top "$wl_spare" -eo pid,args | awk -v p="pytest-ts-$tag" 'index($0, p) {print $1; exit}')
[ -n "$kill_orphan" ] && [ -n "$spare_orphan" ] || fail "cannot find the terminate workloads' pytest"
echo "e2e-docker: SIGKILL the agents of the terminate workloads; tini adopts their pytest (pids $kill_orphan, $spare_orphan)"
docker exec "$wl_kill" sh -c 'kill -9 $(cat /tmp/a.pid)'
docker exec "$wl_spare" sh -c 'kill -9 $(cat /tmp/a.pid)'

terminated_by_kill() { [ "$(count_from e2e-kill terminated)" -ge 1 ]; }
wait_for 30 "the terminated message from the sidecar with KILL" terminated_by_kill
bodies > "$work/all.jsonl"
python3 - "$work/all.jsonl" "$kill_orphan" <<'PY' || fail "terminated body: $(grep '"terminated"' "$work/all.jsonl")"
import json, sys
path, pid = sys.argv[1:]
mine = [json.loads(l) for l in open(path) if l.strip()]
mine = [b for b in mine if b.get("host") == "e2e-kill"]
firing = [b for b in mine if b["status"] == "firing"]
ended = [b for b in mine if b["status"] == "terminated"]
checks = {
    "one firing first": len(firing) == 1 and mine[0] is firing[0],
    "the firing says it will terminate": "lingerwatch will terminate it" in firing[0]["text"],
    "one terminated": len(ended) == 1,
    "terminated names the orphan": ended[0]["pid"] == int(pid),
    "by SIGTERM": ended[0].get("signal") == "SIGTERM",
    "terminated text": ended[0]["text"].startswith("[TERMINATED]") and "SIGTERM" in ended[0]["text"],
    "no resolved": not any(b["status"] == "resolved" for b in mine),
}
bad = [k for k, ok in checks.items() if not ok]
if bad:
    sys.exit("failed: " + ", ".join(bad))
PY
svc_log_has lw-kill "terminate: SIGTERM sent to pid $kill_orphan " || fail "no SIGTERM log line: $(svc_log lw-kill | tail -5)"
# The orphan and its child (the workload's other sleep is the orchestrator's 3600).
orphan_gone() { ! docker top "$wl_kill" -eo pid,args | grep -F -e "pytest-tk-$tag" -e "sleep 100000" >/dev/null; }
wait_for 10 "the orphan and its child to be gone" orphan_gone
docker top "$wl_kill" -eo pid,args | awk '$2 == "/tini" {f = 1} END {exit !f}' || fail "tini (the workload's init) is gone"
echo "e2e-docker: terminate with KILL as uid 0: SIGTERM sent to pid $kill_orphan, webhook got \"terminated\", tini still runs"

# Refused without the capability: a clear line, and the alert goes on (a REMINDER after
# the 3 s cooldown), never a "terminated".
for svc in lw-nocap lw-uidcap; do
  wait_for 20 "$svc's refusal" svc_log_has "$svc" "cannot send SIGTERM to pid $spare_orphan: Operation not permitted"
done
reminded() { for h in e2e-nocap e2e-uidcap e2e-alert; do [ "$(count_from "$h" reminder)" -ge 1 ] || return 1; done; }
wait_for 30 "a REMINDER from each sidecar that may not signal" reminded
for h in e2e-nocap e2e-uidcap e2e-alert; do
  [ "$(count_from "$h" firing)" = 1 ] || fail "$h: not one FIRING: $(statuses_from "$h" | tr '\n' ' ')"
  if statuses_from "$h" | grep -vx 'firing\|reminder' >/dev/null; then fail "$h sent: $(statuses_from "$h" | tr '\n' ' ')"; fi
done
# Only a sidecar that would terminate promises it, and only until the kernel refuses.
bodies > "$work/all.jsonl"
python3 - "$work/all.jsonl" <<'PY' || fail "what the sidecars that may not signal said"
import json, sys
bodies = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def said(host):
    return ["lingerwatch will terminate it" in b["text"] for b in bodies if b.get("host") == host]
checks = {
    "nocap: promised, then no more": said("e2e-nocap")[0] and not said("e2e-nocap")[-1],
    "uidcap: promised, then no more": said("e2e-uidcap")[0] and not said("e2e-uidcap")[-1],
    "alert: never promised": not any(said("e2e-alert")),
}
bad = [k for k, ok in checks.items() if not ok]
if bad:
    sys.exit("failed: " + ", ".join(bad))
PY
docker exec "$wl_spare" sh -c 'kill -0 $(cat /tmp/b.pid)' || fail "the spared orphan was signalled"
for svc in lw-nocap lw-uidcap; do
  if svc_log "$svc" | grep 'sent to pid' >/dev/null; then fail "$svc says it signalled: $(svc_log "$svc" | grep 'sent to pid')"; fi
  [ "$(docker inspect -f '{{.State.Running}} {{.RestartCount}}' "$(cid "$svc")")" = "true 0" ] || fail "$svc is not running"
done
if svc_log lw-alert | grep 'terminate: \|SIGTERM\|SIGKILL' >/dev/null; then fail "lw-alert (action alert) logged: $(svc_log lw-alert | grep 'terminate: \|SIGTERM\|SIGKILL')"; fi
echo "e2e-docker: terminate without an effective KILL (uid 65534, with or without cap_add): refused with a log line, alerts go on; action alert with KILL: never signals"

echo "e2e-docker: all assertions passed"
