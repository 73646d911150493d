#!/usr/bin/env bash
# Installs what a fresh machine lacks: the musl target, rustfmt/clippy, and Debian
# packages (file, procps, musl-tools for the TLS build). Idempotent and quiet when all is
# there already.
#   --build   only what building the static binary needs
set -euo pipefail
need_pkgs=()
command -v file >/dev/null || need_pkgs+=(file)
command -v objcopy >/dev/null || need_pkgs+=(binutils)
command -v musl-gcc >/dev/null || need_pkgs+=(musl-tools)
if [ "${1:-}" != "--build" ]; then
  command -v pgrep >/dev/null || need_pkgs+=(procps)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
# musl for the static binary; a target with no OS for the no_std core's check.
for target in x86_64-unknown-linux-musl x86_64-unknown-none; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done
if [ "${1:-}" != "--build" ]; then
  for c in rustfmt clippy; do
    rustup component list --installed | grep -q "^$c" || rustup component add "$c"
  done
fi
