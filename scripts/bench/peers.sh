# shellcheck shell=bash
# build_peer DIR BIN: builds the peer crate in scripts/bench/DIR (its own crate, outside
# lingerwatch's workspace and its size-optimised profile: opt-level 3, static musl) into
# target/bench/DIR, and prints the path of its binary BIN. Sourced by scripts/bench.sh and
# scripts/bench-floor.sh.
build_peer() {
  CARGO_TARGET_DIR="target/bench/$1" cargo build --release --locked --quiet \
    --target x86_64-unknown-linux-musl --manifest-path "scripts/bench/$1/Cargo.toml"
  echo "target/bench/$1/x86_64-unknown-linux-musl/release/$2"
}
