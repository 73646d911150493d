#!/usr/bin/env bash
# Builds the static musl binary and proves it is static.
# Usage: scripts/build-static.sh [extra cargo args, e.g. --no-default-features]
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-musl
scripts/install-deps.sh --build
cargo build --release --locked --target "$TARGET" "$@"
BIN="target/$TARGET/release/lingerwatch"
# Drop the unwind tables: with panic = "abort" nothing ever unwinds, and their only other
# reader is std's backtrace printer (which then prints no frames). Saves about 56 KiB.
objcopy --remove-section=.eh_frame --remove-section=.eh_frame_hdr \
  --remove-section=.gcc_except_table "$BIN" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
desc=$(file -b "$BIN")
echo "$BIN: $desc"
case "$desc" in
  *"statically linked"*|*"static-pie linked"*) ;;
  *) echo "error: $BIN is not statically linked" >&2; exit 1 ;;
esac
echo "size: $(stat -c %s "$BIN") bytes"
