#!/usr/bin/env bash
# The pure core builds without std (issue 20): the parsers, the scan's records, lineage
# and usage, the policy, the alert table and what is owed, the renderers, text, URLs, and
# the metrics and heartbeat records. Built for x86_64-unknown-none, a target with no OS
# and no std, src/lib.rs leaves out every module that does I/O; so a `std::`, a thread or
# a system call that creeps into the core makes this build fail. Warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx x86_64-unknown-none ||
  rustup target add x86_64-unknown-none
RUSTFLAGS="-D warnings" CARGO_TARGET_DIR=target/no-std cargo build --locked --lib \
  --target x86_64-unknown-none --no-default-features
echo "no_std core: built for x86_64-unknown-none"
