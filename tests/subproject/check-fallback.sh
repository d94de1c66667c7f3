#!/usr/bin/env bash
# Builds Check from source through subprojects/check.wrap, offline, and runs
# the unit suite against it.
#
#   tests/subproject/check-fallback.sh [BUILD_DIR]    (default build-check-fallback)
#
# 1. Puts Debian's check_0.15.2.orig.tar.gz in subprojects/packagecache/
#    unless it is there already: `apt-get source --download-only check`,
#    adding a deb-src entry for the system's Debian release first when apt
#    has none (that and `apt-get update` need root).
# 2. Configures BUILD_DIR with --force-fallback-for=check (the system's
#    Check is not used even when installed) and --wrap-mode=nodownload (no
#    network: the tarball must come from the package cache), and checks
#    that the tests link the libcheck.a built there.
# 3. Builds the unit suite's programs and runs `meson test --suite unit`;
#    its log is BUILD_DIR/meson-logs/testlog.json.
# Exit status: 0 when everything passed, 1 otherwise.
set -euo pipefail

cd "$(dirname "$0")/../.."
build=${1:-build-check-fallback}
wrap=subprojects/check.wrap
cache=subprojects/packagecache
jobs=${JOBS:-2}

wrap_value() { sed -n "s/^$1 *= *//p" "$wrap"; }
tarball=$(wrap_value source_filename)
want_hash=$(wrap_value source_hash)
srcdir=subprojects/$(wrap_value directory)

fail() {
  echo "check-fallback: $*" >&2
  exit 1
}

has_hash() { [ -f "$1" ] && [ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$want_hash" ]; }

add_deb_src() {
  [ "$(id -u)" -eq 0 ] || fail "apt has no deb-src entry and adding one needs root"
  . /etc/os-release
  local list=/etc/apt/sources.list.d/debian-src.sources
  echo "check-fallback: adding $list (deb-src for $VERSION_CODENAME)"
  cat >"$list" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $VERSION_CODENAME
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  apt-get update -q
}

# --- 1. the tarball, from Debian's source package -------------------------
mkdir -p "$cache"
if has_hash "$cache/$tarball"; then
  echo "check-fallback: $cache/$tarball is there (sha256 as in $wrap)"
else
  rm -f "$cache/$tarball"
  dl=$(mktemp -d)
  trap 'rm -rf "$dl"' EXIT
  if ! (cd "$dl" && apt-get source --download-only check) >"$dl/apt.log" 2>&1; then
    if grep -q "deb-src" "$dl/apt.log"; then
      add_deb_src
      (cd "$dl" && apt-get source --download-only check) ||
        fail "apt-get source --download-only check failed"
    else
      cat "$dl/apt.log" >&2
      fail "apt-get source --download-only check failed"
    fi
  fi
  has_hash "$dl/$tarball" ||
    fail "$tarball from Debian is missing or its sha256 differs from $wrap"
  mv "$dl/$tarball" "$cache/$tarball"
  echo "check-fallback: $cache/$tarball from Debian's source package"
fi

# --- 2. configure with the fallback forced, offline -----------------------
# A fresh tree: Check extracted from the cached tarball, nothing reused.
rm -rf "$srcdir" "$build"
options=(-Dtests=enabled -Dexamples=disabled -Ddocs=disabled
         --force-fallback-for=check --wrap-mode=nodownload)
meson setup "$build" "${options[@]}"
grep -q "Using check source from cache" "$build/meson-logs/meson-log.txt" ||
  fail "meson did not take Check from $cache"

# --- 3. build, check what the tests link, run the unit suite --------------
# Only the unit suite's programs (and what they need) are built.
mapfile -t unit_programs < <(meson introspect "$build" --tests | python3 -c '
import json, os, sys
build = os.path.abspath(sys.argv[1])
for test in json.load(sys.stdin):
    if any(s.endswith(":unit") for s in test["suite"]):
        print(os.path.relpath(test["cmd"][0], build))
' "$build")
[ ${#unit_programs[@]} -gt 0 ] || fail "the build has no unit tests"
ninja -C "$build" "${unit_programs[@]}"
libcheck=$build/$srcdir/libcheck.a
[ -f "$libcheck" ] || fail "$libcheck was not built"
grep -q "^build tests/test_group: .*$srcdir/libcheck.a" "$build/build.ninja" ||
  fail "tests/test_group does not link $libcheck"
if grep -Eq -- "-lcheck(_pic)?\b" "$build/build.ninja"; then
  fail "a target links the system's -lcheck"
fi
echo "check-fallback: the tests link $libcheck"
meson test -C "$build" --no-rebuild --suite unit --num-processes "$jobs" --print-errorlogs
