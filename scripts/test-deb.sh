#!/usr/bin/env bash
# Tests the .deb as an admin meets it, in two parts.
#
# On this machine (dpkg, no systemd as PID 1 here): files where they belong and identical
# to the sources, the conffile registered as one and kept across a reinstall when edited,
# the unit installed but not enabled and clean under `systemd-analyze verify`, the
# installed binary finding a real process; then remove (conffile stays), purge (everything
# gone, also the links of a `systemctl enable`). Refuses to touch a lingerwatch package
# that is already installed.
#
# Under a real systemd: a Debian root made with mmdebstrap from this machine's apt sources
# (cached as a Docker image) boots systemd as PID 1 in a container. There the package is
# installed, a process of another uid with `pytest` in its arguments is orphaned onto
# systemd, and the unit, enabled with a webhook whose name resolves through a DNS server on
# 127.0.0.1 (dnsmasq), must deliver a FIRING body naming it, running as a dynamic uid with
# no capabilities, no_new_privs and a seccomp filter; the calls of lingerwatch's own
# sandbox (landlock, seccomp) must reach the kernel through the unit's filter; an upgrade
# restarts it; a purge stops it and leaves nothing. Needs a Docker engine; under CI=true
# nothing is skipped.
# Usage: scripts/test-deb.sh [path/to.deb]   (default: target/deb/lingerwatch_<version>_amd64.deb)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(awk -F'"' '/^version = /{ print $2; exit }' Cargo.toml)
deb="${1:-target/deb/lingerwatch_${version}_amd64.deb}"

fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "test-deb: ok (${SECONDS}s): $*"; }

if [ "$(id -u)" -ne 0 ]; then
  [ "${CI:-}" = true ] && fail "needs root to install a .deb (CI=true: no skipping)"
  echo "test-deb: SKIPPED: needs root to install a .deb"
  exit 0
fi
[ -f "$deb" ] || fail "$deb is missing: run scripts/build-deb.sh"
need_pkgs=()
command -v systemd-analyze >/dev/null || need_pkgs+=(systemd)
command -v file >/dev/null || need_pkgs+=(file)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test-deb: installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
wants=/etc/systemd/system/multi-user.target.wants/lingerwatch.service
if [ -e "$wants" ] || [ -L "$wants" ]; then fail "$wants is left from before; remove it first"; fi
if dpkg-query -W -f='${db:Status-Status}' lingerwatch 2>/dev/null | grep -qv '^not-installed$'; then
  fail "a lingerwatch package is already on this machine; not touching it (dpkg --purge lingerwatch first)"
fi

probe_pid=""
we_enabled=""
box=""
scratch=$(mktemp -d)
cleanup() {
  [ -z "$box" ] || docker rm -f "$box" >/dev/null 2>&1 || true
  [ -z "$probe_pid" ] || kill "$probe_pid" 2>/dev/null || true
  rm -rf "$scratch"
  # A failed purge check must not leave our enable link to confuse the next run.
  [ -z "$we_enabled" ] || systemctl disable lingerwatch.service >/dev/null 2>&1 || rm -f "$wants"
  if dpkg-query -W lingerwatch >/dev/null 2>&1; then
    dpkg --purge lingerwatch >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

status() { dpkg-query -W -f='${Status}' lingerwatch 2>/dev/null || true; }
# mode owner group of a path, e.g. "755 root root"
perms() { stat -c '%a %U %G' "$1"; }
unit=/lib/systemd/system/lingerwatch.service
conffile=/etc/default/lingerwatch
installed_files=(/usr/bin/lingerwatch "$unit" "$conffile" /usr/share/doc/lingerwatch/README.md
  /usr/share/doc/lingerwatch/copyright /usr/share/doc/lingerwatch/changelog.gz
  /usr/share/man/man1/lingerwatch.1.gz /usr/share/lintian/overrides/lingerwatch)

# --- install ---
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >/dev/null
[ "$(status)" = "install ok installed" ] || fail "status after dpkg -i: $(status)"
[ "$(dpkg-query -W -f='${Version}' lingerwatch)" = "$version" ] || fail "version is not $version"
for f in "${installed_files[@]}"; do
  [ -f "$f" ] || fail "$f is not installed"
  dpkg-query -S "$f" >/dev/null 2>&1 || fail "$f does not belong to the package"
done
ok "every file installed and owned by the package"

[ -x /usr/bin/lingerwatch ] || fail "/usr/bin/lingerwatch is not executable"
[ "$(perms /usr/bin/lingerwatch)" = "755 root root" ] || fail "/usr/bin/lingerwatch: $(perms /usr/bin/lingerwatch)"
file -b /usr/bin/lingerwatch | grep -Eq 'statically linked|static-pie linked' \
  || fail "/usr/bin/lingerwatch is not static: $(file -b /usr/bin/lingerwatch)"
got=$(/usr/bin/lingerwatch --version)
[ "$got" = "lingerwatch $version" ] || fail "/usr/bin/lingerwatch --version says '$got'"
ok "/usr/bin/lingerwatch --version: $got"

cmp -s "$unit" deploy/systemd/lingerwatch.service || fail "$unit differs from deploy/systemd/"
[ "$(perms "$unit")" = "644 root root" ] || fail "$unit: $(perms "$unit")"
cmp -s "$conffile" deploy/debian/lingerwatch.default || fail "$conffile differs from deploy/debian/"
[ "$(perms "$conffile")" = "600 root root" ] || fail "$conffile: $(perms "$conffile") (it may hold a token)"
registered=$(dpkg-query -W -f='${Conffiles}\n' lingerwatch | awk 'NF { print $1, $2 }')
[ "$registered" = "$conffile $(md5sum < "$conffile" | cut -d' ' -f1)" ] \
  || fail "dpkg-query lists these conffiles: '$registered'"
ok "$conffile is the package's only conffile, root-only"

[ ! -e "$wants" ] || fail "the package enabled the unit ($wants exists)"
verify_out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify_out"
[ -z "$verify_out" ] || fail "systemd-analyze verify warns: $verify_out"
ok "unit installed, not enabled; systemd-analyze verify $unit is clean"

# The installed binary on the real /proc: a process of ours with a marker in its arguments
# is found once it is older than 0 s (strictly greater, so wait for the first second).
marker="lingerwatch-deb-probe-$$-$RANDOM"
# exec -a: the marker is sleep's own argv[0], so the pid we kill is the process found.
(exec -a "$marker" sleep 300) &
probe_pid=$!
deadline=$((SECONDS + 20))
until /usr/bin/lingerwatch scan --json --age-s 0 --pattern "$marker" > "$scratch/scan" 2>&1; [ $? -eq 1 ]; do
  [ $SECONDS -lt $deadline ] || fail "lingerwatch scan did not report pid $probe_pid: $(cat "$scratch/scan")"
  sleep 0.2
done
grep -q "\"pid\":$probe_pid," "$scratch/scan" || fail "scan reported another process: $(cat "$scratch/scan")"
kill "$probe_pid"; probe_pid=""
ok "/usr/bin/lingerwatch scan finds a real process by its arguments"

# --- an admin edits the conffile and enables the unit; a reinstall keeps the edit ---
sed -i 's|^#WATCHDOG_WEBHOOK_URL=.*|WATCHDOG_WEBHOOK_URL=http://127.0.0.1:9/test-deb|' "$conffile"
we_enabled=yes
systemctl enable lingerwatch.service >/dev/null 2>&1 || fail "systemctl enable lingerwatch.service"
[ -L "$wants" ] || fail "systemctl enable made no $wants"
DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold "$deb" >/dev/null
grep -qx 'WATCHDOG_WEBHOOK_URL=http://127.0.0.1:9/test-deb' "$conffile" || fail "a reinstall lost the edit of $conffile"
[ -L "$wants" ] || fail "a reinstall dropped the enable link $wants"
ok "a reinstall keeps the edited $conffile and the admin's enable link"

# --- remove: program gone, conffile stays ---
dpkg --remove lingerwatch >/dev/null
[ "$(status)" = "deinstall ok config-files" ] || fail "status after dpkg --remove: $(status)"
for f in "${installed_files[@]}"; do
  [ "$f" = "$conffile" ] && continue
  [ ! -e "$f" ] || fail "$f is still there after dpkg --remove"
done
[ -f "$conffile" ] || fail "dpkg --remove took $conffile (only purge may)"
ok "dpkg --remove leaves only $conffile"

# --- purge: nothing left, the enable link and deb-systemd-helper's records included ---
dpkg --purge lingerwatch >/dev/null
[ -z "$(status)" ] || [ "$(status)" = "unknown ok not-installed" ] || fail "status after purge: $(status)"
for f in "${installed_files[@]}" "$wants" /usr/share/doc/lingerwatch; do
  if [ -e "$f" ] || [ -L "$f" ]; then fail "$f is still there after dpkg --purge"; fi
done
left=$(find /etc/systemd /var/lib/systemd -name '*lingerwatch*' 2>/dev/null)
[ -z "$left" ] || fail "left after dpkg --purge: $left"
ok "dpkg --purge leaves nothing (conffile, enable link and helper state gone)"

# --- under systemd as PID 1, in a container ---
echo "test-deb: the dpkg checks passed for $deb"
# shellcheck source=scripts/docker-engine.sh
. scripts/docker-engine.sh
need_docker "test-deb (the unit under systemd)"
codename=$(awk -F= '$1 == "VERSION_CODENAME" { print $2 }' /etc/os-release)
[ -n "$codename" ] || fail "no VERSION_CODENAME in /etc/os-release"
image="lingerwatch-deb-test-systemd:$codename"
if ! docker image inspect "$image" >/dev/null 2>&1; then
  command -v mmdebstrap >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null; }
  # This machine's own apt sources (deb822 files or sources.list), so it uses its mirror.
  sources=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -s "$f" ] && sources+=("$f")
  done
  [ ${#sources[@]} -gt 0 ] || fail "no apt sources on this machine for mmdebstrap"
  echo "test-deb: making $image (mmdebstrap $codename: systemd, dbus, dnsmasq-base, netcat-openbsd)"
  mmdebstrap --quiet --variant=minbase --include=systemd,systemd-sysv,dbus,dnsmasq-base,netcat-openbsd \
    "$codename" - "${sources[@]}" | docker import -c 'CMD ["/lib/systemd/systemd"]' - "$image" >/dev/null
fi
in_box() { docker exec "$box" "$@"; }
# The calls lingerwatch's own sandbox makes after start-up; each prints its errno. EPERM is
# the unit's filter (SystemCallErrorNumber=EPERM); EBADF (bad fd on purpose), ENOSYS or
# EOPNOTSUPP come from the kernel, so the call passed the filter.
cat > "$scratch/probe.c" <<'PROBE'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
static void show(const char *name, long r) {
    printf("%s: %s\n", name, r < 0 ? strerror(errno) : "ok");
}
int main(void) {
    unsigned int kill_process = 0x80000000U;
    show("landlock_create_ruleset", syscall(444, NULL, 0, 1UL)); /* ABI version */
    show("landlock_add_rule", syscall(445, -1, 1, NULL, 0));
    show("landlock_restrict_self", syscall(446, -1, 0));
    show("seccomp", syscall(SYS_seccomp, 2, 0, &kill_process)); /* GET_ACTION_AVAIL */
    return 0;
}
PROBE
command -v musl-gcc >/dev/null || scripts/install-deps.sh --build
musl-gcc -static -O2 -o "$scratch/probe" "$scratch/probe.c"

# systemd needs CAP_SYS_ADMIN (mounts, namespaces) and a writable cgroup tree; no more.
box=$(docker run -d --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
  --security-opt apparmor=unconfined --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp "$image")
deadline=$((SECONDS + 60))
until state=$(in_box systemctl is-system-running 2>/dev/null); [ "$state" = running ] || [ "$state" = degraded ]; do
  [ $SECONDS -lt $deadline ] || fail "systemd in the container did not come up: ${state:-no answer}"
  sleep 0.5
done
ok "systemd $(in_box systemctl --version | awk 'NR == 1 { print $2 }') runs as PID 1 in a container ($state)"

docker cp "$deb" "$box:/root/lingerwatch.deb"
in_box dpkg -i /root/lingerwatch.deb >/dev/null
[ "$(in_box systemctl is-enabled lingerwatch.service 2>&1)" = disabled ] || fail "installed enabled"
[ "$(in_box systemctl is-active lingerwatch.service 2>&1)" = inactive ] || fail "installed and started"
ok "under systemd: installed, neither enabled nor started"

# A process of uid 4242 whose shell exits at once: orphaned onto systemd, like a test run
# whose agent died.
victim=$(in_box sh -c 'setpriv --reuid=4242 --regid=4242 --clear-groups \
  bash -c "exec -a \"python3 -m pytest tests/\" sleep 600" </dev/null >/dev/null 2>&1 & echo $!')
# A webhook by name: dnsmasq on 127.0.0.1 answers hooks.test (A: 127.0.0.1, AAAA: none),
# and nc records what arrives on 127.0.0.1:8080.
in_box dnsmasq --no-resolv --no-hosts --host-record=hooks.test,127.0.0.1 --local=/test/ \
  --listen-address=127.0.0.1 --bind-interfaces --user=root
in_box sh -c 'echo "nameserver 127.0.0.1" > /etc/resolv.conf'
docker exec -d "$box" sh -c 'nc -lk 127.0.0.1 8080 > /root/webhook'
docker exec -i "$box" sh -c 'cat >> /etc/default/lingerwatch' <<'SETTINGS'
WATCHDOG_WEBHOOK_URL=http://hooks.test:8080/hook
WATCHDOG_PROC_AGE_S=1
WATCHDOG_PROC_INTERVAL_S=1
SETTINGS
in_box systemctl enable --now lingerwatch.service >/dev/null 2>&1 || fail "systemctl enable --now: $(in_box systemctl status --no-pager lingerwatch 2>&1)"
deadline=$((SECONDS + 30))
until in_box grep -q "\"status\":\"firing\".*\"pid\":$victim," /root/webhook 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "no FIRING for pid $victim at the webhook; journal: $(in_box journalctl -u lingerwatch --no-pager -n 20)"
  sleep 0.5
done
body=$(in_box grep -m1 "\"pid\":$victim," /root/webhook)
for want in '"orphan":true' '"parent":"systemd"' '"cmdline":"python3 -m pytest tests/ 600"'; do
  [[ "$body" == *"$want"* ]] || fail "the FIRING body lacks $want: $body"
done
ok "under systemd: FIRING for uid 4242's orphaned pytest (pid $victim) reached http://hooks.test:8080 (DNS over UDP, TCP)"

main=$(in_box systemctl show -p MainPID --value lingerwatch.service)
proc_status=$(in_box cat "/proc/$main/status")
field() { echo "$proc_status" | awk -v k="$1:" '$1 == k { print $2 }'; }
[ "$(field Uid)" -ne 0 ] || fail "the service runs as root"
for kv in CapEff=0000000000000000 CapBnd=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2; do
  [ "$(field "${kv%%=*}")" = "${kv#*=}" ] || fail "service process: ${kv%%=*} is $(field "${kv%%=*}"), not ${kv#*=}"
done
in_box env WATCHDOG_HEARTBEAT_FILE=/run/lingerwatch/heartbeat lingerwatch health >/dev/null \
  || fail "lingerwatch health on /run/lingerwatch/heartbeat"
ok "under systemd: uid $(field Uid), no capabilities, no_new_privs, seccomp; health reads its heartbeat"

docker cp "$scratch/probe" "$box:/usr/local/bin/lingerwatch-probe"
in_box sh -c 'sed -e "s|^ExecStart=.*|ExecStart=/usr/local/bin/lingerwatch-probe|" \
  -e "s|^Type=simple|Type=oneshot|" -e "/^Restart/d" -e "/^EnvironmentFile/d" \
  /lib/systemd/system/lingerwatch.service > /etc/systemd/system/lingerwatch-probe.service'
in_box systemctl daemon-reload
in_box systemctl start lingerwatch-probe.service || fail "the probe unit failed"
calls=$(in_box journalctl -u lingerwatch-probe.service --no-pager -o cat | grep -E '^(landlock|seccomp)')
[ "$(echo "$calls" | wc -l)" -eq 4 ] || fail "the probe printed: $calls"
if echo "$calls" | grep -q 'Operation not permitted'; then fail "the unit's filter blocks: $calls"; fi
ok "under systemd: landlock_* and seccomp pass the unit's filter ($(echo "$calls" | tr '\n' ';' | sed 's/;$//'))"

docker cp "$deb" "$box:/root/lingerwatch.deb"
in_box dpkg -i /root/lingerwatch.deb >/dev/null
after=$(in_box systemctl show -p MainPID --value lingerwatch.service)
if [ "$(in_box systemctl is-active lingerwatch.service)" != active ] || [ "$after" = "$main" ]; then
  fail "an upgrade did not restart the running service (MainPID $main, then $after)"
fi
ok "under systemd: an upgrade restarts the running service"

in_box dpkg --purge lingerwatch >/dev/null
[ "$(in_box systemctl show -p LoadState --value lingerwatch.service)" = not-found ] \
  || fail "the unit is still known after purge"
for f in /etc/default/lingerwatch /etc/systemd/system/multi-user.target.wants/lingerwatch.service \
  /run/lingerwatch /usr/bin/lingerwatch; do
  if in_box test -e "$f" || in_box test -L "$f"; then fail "under systemd: $f is left after purge"; fi
done
if in_box test -e "/proc/$after"; then fail "the service (pid $after) still runs after purge"; fi
ok "under systemd: purge stopped the service and left nothing"
echo "test-deb: all checks passed for $deb"
