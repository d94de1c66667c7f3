#!/bin/sh
# Regenerate the ABI baseline tests/abi/libsymclone.abi from a build of the
# release (docs/abi.md, "Making a release").
#
# usage: tests/abi/update-baseline.sh [BUILD_DIR]   (default: build)
#
# The build must have debug information (Meson's default debugoptimized
# does); the baseline then describes the exported functions with their
# types as the public headers declare them.
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
lib=$build/lib/libsymclone.so
[ -f "$lib" ] || { echo "no $lib: build first (meson setup $build && ninja -C $build)" >&2; exit 1; }
abidw --headers-dir include/symclone --headers-dir "$build/include/symclone" \
  --drop-private-types --no-corpus-path --no-comp-dir-path --short-locs \
  --out-file tests/abi/libsymclone.abi "$lib"
echo "wrote tests/abi/libsymclone.abi from $lib ($(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p'))"
