#!/bin/sh
# Header test: every public header compiles on its own (a translation unit
# that includes just it, twice, to prove the include guard) as pedantic
# C11 with warnings as errors, and as C++11; the umbrella header too.  The
# headers are found at test time, so a new header is covered without
# touching this test.
#
# usage: headers-test.sh SOURCE_INCLUDE_DIR BUILD_INCLUDE_DIR
# environment: CC and CXX (command lines; CXX empty skips the C++ part);
# MPI_CFLAGS, the flags that find <mpi.h>: mpi.h (libsymclone-mpi's, not in
# the umbrella header) is compiled with them, and skipped when
# HEADERS_MPI is not 1 (a build without MPI).
set -eu

src_inc=$1
build_inc=$2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/symclone-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

failed=0
count=0
for h in "$src_inc"/symclone/*.h "$build_inc"/symclone/*.h; do
  [ -f "$h" ] || continue
  name=$(basename "$h")
  extra=
  if [ "$name" = mpi.h ]; then
    [ "${HEADERS_MPI:-0}" = 1 ] || continue
    extra=${MPI_CFLAGS:-}
  fi
  count=$((count + 1))
  base=$(echo "$name" | tr -c 'A-Za-z0-9\n' '_')
  # (the typedef keeps a header of macros alone from being an empty unit)
  printf '#include <symclone/%s>\n#include <symclone/%s>\ntypedef int header_test_unit;\n' \
    "$name" "$name" >"$tmp/$base.c"
  # shellcheck disable=SC2086 # CC and CXX are command lines
  if $CC -std=c11 -pedantic -Werror -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
      -I"$src_inc" -I"$build_inc" $extra -c "$tmp/$base.c" -o "$tmp/$base.o"; then
    echo "ok: $name as C11"
  else
    echo "FAIL: $name does not compile alone as C11"
    failed=$((failed + 1))
  fi
  if [ -n "${CXX:-}" ]; then
    cp "$tmp/$base.c" "$tmp/$base.cpp"
    # shellcheck disable=SC2086
    if $CXX -std=c++11 -pedantic -Werror -Wall -Wextra \
        -I"$src_inc" -I"$build_inc" $extra -c "$tmp/$base.cpp" -o "$tmp/$base.cpp.o"; then
      echo "ok: $name as C++11"
    else
      echo "FAIL: $name does not compile alone as C++11"
      failed=$((failed + 1))
    fi
  fi
done

if [ "$count" -eq 0 ]; then
  echo "FAIL: no header found in $src_inc/symclone"
  exit 1
fi
if [ ! -f "$src_inc/symclone/symclone.h" ]; then
  echo "FAIL: no umbrella header symclone/symclone.h"
  exit 1
fi
[ -n "${CXX:-}" ] || echo "no C++ compiler: C++ compiles skipped"

# The umbrella header must pull in every other public header: a program
# that includes only it sees every SYMCLONE_API declaration.  A header that
# is deliberately kept out (an experimental API) says so with the words
# "not part of the umbrella header" in a comment.
for h in "$src_inc"/symclone/*.h "$build_inc"/symclone/*.h; do
  [ -f "$h" ] || continue
  name=$(basename "$h")
  [ "$name" = symclone.h ] && continue
  [ "$name" = mpi.h ] && continue
  grep -q 'not part of the umbrella header' "$h" && continue
  if ! grep -q "^#include <symclone/$name>" "$src_inc/symclone/symclone.h"; then
    echo "FAIL: symclone.h does not include <symclone/$name>"
    failed=$((failed + 1))
  fi
done

echo "$count headers, $failed failures"
[ "$failed" -eq 0 ]
