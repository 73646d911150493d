#!/usr/bin/env bash
# Builds the static musl binary, then the FROM scratch image lingerwatch:dev (and
# lingerwatch:<version>) with no registry: the build context holds only the binary.
#   scripts/build-image.sh [extra cargo args, e.g. --no-default-features]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-static.sh "$@" >/dev/null
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp target/x86_64-unknown-linux-musl/release/lingerwatch "$ctx/lingerwatch"
cp Dockerfile.scratch "$ctx/Dockerfile"
docker build -q --build-arg VERSION="$version" -t lingerwatch:dev -t "lingerwatch:$version" "$ctx" >/dev/null
size=$(docker image inspect -f '{{.Size}}' lingerwatch:dev)
echo "built lingerwatch:dev and lingerwatch:$version, image size $size bytes"
