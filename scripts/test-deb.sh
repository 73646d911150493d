#!/usr/bin/env bash
# Installs the .deb on this machine with dpkg and checks it as an admin would meet it:
# files where they belong and identical to the sources, the conffile registered as one and
# kept across a reinstall when edited, the unit installed but not enabled and clean under
# `systemd-analyze verify`, the installed binary finding a real process; then remove
# (conffile stays), purge (everything gone, also the links of a `systemctl enable`).
# No systemd runs as PID 1 here, so the service itself is not started.
# Needs root (dpkg); refuses to touch a lingerwatch package that is already installed.
# Usage: scripts/test-deb.sh [path/to.deb]   (default: target/deb/lingerwatch_<version>_amd64.deb)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(awk -F'"' '/^version = /{ print $2; exit }' Cargo.toml)
deb="${1:-target/deb/lingerwatch_${version}_amd64.deb}"

fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "test-deb: ok: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  [ "${CI:-}" = true ] && fail "needs root to install a .deb (CI=true: no skipping)"
  echo "test-deb: SKIPPED: needs root to install a .deb"
  exit 0
fi
[ -f "$deb" ] || fail "$deb is missing: run scripts/build-deb.sh"
wants=/etc/systemd/system/multi-user.target.wants/lingerwatch.service
if [ -e "$wants" ] || [ -L "$wants" ]; then fail "$wants is left from before; remove it first"; fi
if dpkg-query -W -f='${db:Status-Status}' lingerwatch 2>/dev/null | grep -qv '^not-installed$'; then
  fail "a lingerwatch package is already on this machine; not touching it (dpkg --purge lingerwatch first)"
fi

probe_pid=""
we_enabled=""
scratch=$(mktemp -d)
cleanup() {
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
echo "test-deb: all checks passed for $deb"
