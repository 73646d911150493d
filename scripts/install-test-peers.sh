#!/usr/bin/env bash
# Installs the real peers that tests/http_client.rs talks to: python3 (hostile servers and
# a TLS server with the ssl module), openssl (the CLI makes a CA and certificates), and
# tinyproxy (the proxy). Idempotent and quiet when all is there. tinyproxy's own service
# is kept from starting: the tests run the binary themselves, on a port of their own.
set -euo pipefail
need_pkgs=()
command -v python3 >/dev/null || need_pkgs+=(python3)
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v tinyproxy >/dev/null || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ] || need_pkgs+=(tinyproxy)
[ ${#need_pkgs[@]} -eq 0 ] && exit 0
echo "installing Debian packages for the HTTP client tests: ${need_pkgs[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
# invoke-rc.d asks policy-rc.d before starting a service; 101 means "not allowed".
policy=/usr/sbin/policy-rc.d
ours=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  ours=true
fi
cleanup() { if $ours; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
