#!/usr/bin/env bash
# Runs every test lingerwatch has, after installing what a fresh machine lacks.
# Any failing step fails the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "install missing tools"
scripts/install-deps.sh
scripts/install-test-peers.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, -D warnings; HTTPS and HTTP-only builds)"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --all-targets --no-default-features -- -D warnings

step "the pure core builds without std (x86_64-unknown-none, issue 20)"
scripts/check-no-std.sh

step "cargo test"
cargo test --locked

step "unit tests of the HTTP-only build"
cargo test --locked --lib --no-default-features

step "fuzz smoke: every target in fuzz/ for \${FUZZ_SECONDS:-20}s (nightly, cargo-fuzz)"
scripts/fuzz-smoke.sh

step "static musl builds (HTTP-only, then the default HTTPS one)"
scripts/build-static.sh --no-default-features
cp target/x86_64-unknown-linux-musl/release/lingerwatch target/lingerwatch-http-only
scripts/build-static.sh

step "every resolver path, locked in, with musl's resolver: both static builds (issue 19)"
LINGERWATCH_BIN="$PWD/target/lingerwatch-http-only" cargo test --locked --test resolver
LINGERWATCH_BIN="$PWD/target/x86_64-unknown-linux-musl/release/lingerwatch" cargo test --locked --test resolver

# --- deploy (issue 4) ---
step "deploy files: DaemonSet against the Kubernetes schemas, hadolint, compose config, the unit, and the .deb (built here from the static binary) under lintian"
scripts/lint-deploy.sh

step "the .deb installed with dpkg: files, conffile, unit verify, remove and purge"
scripts/test-deb.sh

step "end to end on Docker: FROM scratch images, an orphan under tini, a webhook by service name"
scripts/e2e-docker.sh

step "end to end on Docker: the compose file's memory limit beside 4,000 extra host processes, and a limit below the rule"
scripts/e2e-memory.sh
