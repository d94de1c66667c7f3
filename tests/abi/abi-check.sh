#!/bin/sh
# ABI test: compare the built libsymclone.so with the stored baseline of
# the last release (tests/abi/libsymclone.abi) using abidiff.
#
# usage: abi-check.sh BASELINE LIBRARY SOURCE_HEADER_DIR BUILD_HEADER_DIR
#
# Passes when nothing that the baseline exports was removed or changed.
# Additions (new functions, new symbol-version nodes, enumerators appended
# to an enum) are compatible and pass: abidiff runs with --no-added-syms,
# and it treats appended enumerators as harmless.  abidiff's exit status is
# a bit set: 1 error, 2 usage error, 4 an ABI change, 8 an incompatible ABI
# change (a removed symbol); any of them fails.  If the library's SONAME
# differs from the baseline's (the soversion was bumped for an incompatible
# release), the comparison is void: the test passes and says that the
# baseline must be regenerated (tests/abi/update-baseline.sh).
# Exit 77 (skipped) when abidiff is not installed.
set -u

baseline=$1
library=$2
src_headers=$3
build_headers=$4

if ! command -v abidiff >/dev/null 2>&1; then
  echo "abidiff not found (Debian: abigail-tools): skipped"
  exit 77
fi
[ -f "$baseline" ] || { echo "FAIL: no baseline $baseline"; exit 1; }

base_soname=$(sed -n "s/.*<abi-corpus [^>]*soname='\([^']*\)'.*/\1/p" "$baseline" | head -n 1)
lib_soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
echo "baseline: $base_soname, library: $lib_soname"
if [ -z "$lib_soname" ]; then
  echo "FAIL: $library has no SONAME"
  exit 1
fi
if [ "$base_soname" != "$lib_soname" ]; then
  echo "the soversion was bumped ($base_soname -> $lib_soname): the baseline is for the old ABI;"
  echo "regenerate it with tests/abi/update-baseline.sh when the release is made"
  exit 0
fi

abidiff --no-added-syms --headers-dir2 "$src_headers" --headers-dir2 "$build_headers" \
  "$baseline" "$library"
rc=$?
if [ $((rc & 3)) -ne 0 ]; then
  echo "FAIL: abidiff could not compare (exit status $rc)"
  exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
  echo "FAIL: incompatible ABI change (a symbol of the baseline was removed or changed)"
  echo "without a soversion bump; see docs/abi.md"
  exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
  echo "FAIL: an interface of the baseline changed (types or signatures above);"
  echo "only additions are compatible; see docs/abi.md"
  exit 1
fi
echo "ABI compatible with the baseline"
exit 0
