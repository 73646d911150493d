#!/usr/bin/env bash
# Installs the real servers and tools the tests run on 127.0.0.1: Debian's Prometheus
# Alertmanager, node_exporter and promtool (from the `prometheus` package), tinyproxy (a
# CONNECT proxy), openssl (the CLI makes a CA and certificates), python3 (hostile servers
# and a TLS server), strace (one write per log line), curl. Idempotent and quiet when all
# is there.
#
# Debian's maintainer scripts would start these daemons on their default ports (9090,
# 9093, 9094, 9100); the tests start their own on free ports instead. So the install runs
# under a policy-rc.d that forbids starting services (an existing one is kept aside and put
# back), and afterwards any daemon of these packages still running is stopped.
set -euo pipefail
need_pkgs=()
command -v prometheus-alertmanager >/dev/null || need_pkgs+=(prometheus-alertmanager)
command -v prometheus-node-exporter >/dev/null || need_pkgs+=(prometheus-node-exporter)
command -v promtool >/dev/null || need_pkgs+=(prometheus)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v python3 >/dev/null || need_pkgs+=(python3)
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v strace >/dev/null || need_pkgs+=(strace)
command -v tinyproxy >/dev/null || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ] || need_pkgs+=(tinyproxy)
[ ${#need_pkgs[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
policy=/usr/sbin/policy-rc.d
saved=""
restore_policy() {
  if [ -n "$saved" ]; then
    $SUDO mv -f "$saved" "$policy"
  else
    $SUDO rm -f "$policy"
  fi
}
if [ -e "$policy" ]; then
  saved="$policy.install-test-peers.$$"
  $SUDO mv "$policy" "$saved"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# install-test-peers.sh: no service starts during the install\nexit 101\n' |
  $SUDO tee "$policy" >/dev/null
$SUDO chmod 755 "$policy"

echo "installing Debian packages: ${need_pkgs[*]}"
# apt's chatter goes to a log, shown only when the install fails.
log=$(mktemp)
if ! { $SUDO apt-get update -qq &&
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need_pkgs[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"

# Only the packages just installed are touched: a developer's own running Prometheus is not.
for pkg in "${need_pkgs[@]}"; do
  case "$pkg" in
    prometheus | prometheus-alertmanager | prometheus-node-exporter | tinyproxy) ;;
    *) continue ;;
  esac
  # On a systemd host the package enabled its unit for the next boot: the tests never
  # want it, so it is disabled (and stopped, should it be up).
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "$pkg.service" >/dev/null 2>&1 || true
  fi
  # Belt and braces: a daemon that started anyway (an init without policy-rc.d support)
  # would hold the default port. It is stopped by its exact executable path (the tests
  # start theirs by name, so never match).
  for pid in $(pgrep -x -f "/usr/s?bin/$pkg( .*)?" 2>/dev/null || true); do
    echo "stopping $pkg (pid $pid), started by its package"
    $SUDO kill "$pid" || true
  done
done
