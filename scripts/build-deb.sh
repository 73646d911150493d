#!/usr/bin/env bash
# Builds target/deb/lingerwatch_<version>_amd64.deb from the static HTTPS binary:
# /usr/bin/lingerwatch, the systemd unit (installed, not enabled), /etc/default/lingerwatch
# (a conffile, root-only: it may hold a webhook token), README and copyright.
#
# dpkg-deb --build from a staged tree rather than cargo-deb: the package is one prebuilt
# binary and a few files, dpkg-deb is on every Debian machine already, and `cargo install
# cargo-deb` would cost minutes of compiling on a fresh CI machine (and rebuild the binary
# its own way unless told not to). Reproducible: mtimes are the commit's, owners root.
# Usage: scripts/build-deb.sh [--no-build]   (--no-build: package the binary already built)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-musl
BIN="target/$TARGET/release/lingerwatch"
OUT=target/deb

if [ "${1:-}" != "--no-build" ]; then
  scripts/build-static.sh
fi
[ -x "$BIN" ] || { echo "error: $BIN is missing; run scripts/build-static.sh" >&2; exit 1; }

version=$(awk -F'"' '/^version = /{ print $2; exit }' Cargo.toml)
[ -n "$version" ] || { echo "error: no version in Cargo.toml" >&2; exit 1; }
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# lingerwatch(1): a short head, then `--help` verbatim (roff-escaped: backslashes, and a
# leading dot or quote that roff would read as a request).
manpage() {
  local day
  day=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
  printf '.TH LINGERWATCH 1 "%s" "lingerwatch %s" "User Commands"\n' "$day" "$1"
  printf '%s\n' '.SH NAME' 'lingerwatch \- alert on processes that lived too long' \
    '.SH SYNOPSIS' '.B lingerwatch' '[\fBrun\fR|\fBscan\fR|\fBhealth\fR] [\fIflags\fR]' \
    '.SH DESCRIPTION' '.nf'
  "$BIN" --help | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
  printf '%s\n' '.fi' '.SH FILES' '.TP' '.I /etc/default/lingerwatch' \
    'settings of the systemd service lingerwatch.service' '.TP' \
    '.I /run/lingerwatch/heartbeat' 'the service'"'"'s heartbeat, read by \fBlingerwatch health\fR' \
    '.SH SEE ALSO' '/usr/share/doc/lingerwatch/README.md'
}

stage="$OUT/stage"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/default" \
  "$stage/usr/share/doc/lingerwatch"
install -m 0755 "$BIN" "$stage/usr/bin/lingerwatch"
install -m 0644 deploy/systemd/lingerwatch.service "$stage/lib/systemd/system/"
install -m 0600 deploy/debian/lingerwatch.default "$stage/etc/default/lingerwatch"
doc="$stage/usr/share/doc/lingerwatch"
install -m 0644 README.md "$doc/README.md"

# copyright: ours, then what the static binary links, from Cargo.lock (proc macros and
# build scripts run at build time only and are not in it).
components=$(cargo tree --locked --offline -e normal,no-proc-macro --target "$TARGET" \
  --prefix none --format ' {p}: {l}' 2>/dev/null | sed 's/ (\*)$//' \
  | grep -v '^ lingerwatch ' | sort -u)
[ -n "$components" ] || { echo "error: cargo tree listed no crates" >&2; exit 1; }
# (tail, not head: under pipefail an early-closing reader fails git with SIGPIPE)
first_year=$(git log --max-parents=0 --format=%cd --date=format:%Y 2>/dev/null | tail -n1)
years=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
[ -z "$first_year" ] || [ "$first_year" = "$years" ] || years="$first_year-$years"
awk -v list="$components" -v years="$years" '
  $0 == "@STATIC_COMPONENTS@" { print list; next }
  { sub(/@YEARS@/, years); print }' deploy/debian/copyright > "$doc/copyright"
chmod 0644 "$doc/copyright"

# A native package's changelog (Debian policy 12.7): one entry naming the commit.
date_rfc2822=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
maintainer=$(sed -n 's/^Maintainer: //p' deploy/debian/control)
printf '%s\n' "lingerwatch ($version) unstable; urgency=medium" "" \
  "  * lingerwatch $version, built from commit $commit." "" \
  " -- $maintainer  $date_rfc2822" > "$doc/changelog"
gzip -9 -n "$doc/changelog"

# The manual page is the binary's own --help, so it cannot drift from it.
mkdir -p "$stage/usr/share/man/man1" "$stage/usr/share/lintian/overrides"
manpage "$version" > "$stage/usr/share/man/man1/lingerwatch.1"
gzip -9 -n "$stage/usr/share/man/man1/lingerwatch.1"
install -m 0644 deploy/debian/lintian-overrides "$stage/usr/share/lintian/overrides/lingerwatch"

install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$stage/DEBIAN/"
echo /etc/default/lingerwatch > "$stage/DEBIAN/conffiles"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
  | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
installed_kib=$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_kib/" \
  deploy/debian/control > "$stage/DEBIAN/control"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
# Staged files carry the builder's umask; directories must be 0755 whatever it is.
find "$stage" -type d -exec chmod 0755 {} +

deb="$OUT/lingerwatch_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "$deb: $(stat -c %s "$deb") bytes"
dpkg-deb --contents "$deb"
