#!/bin/sh
# Install test: `meson install --destdir` into a temporary folder, check
# what was installed, then build a C and a C++ program against it with
# pkg-config and run them.
#
# usage: install-test.sh BUILD_ROOT PREFIX LIBDIR INCLUDEDIR SOURCE_HEADER_DIR APP_C APP_CPP [APP_FLAGS]
# APP_FLAGS: extra compiler flags for the two programs (a command line; the
# build's -fsanitize flag, so that a sanitized library finds its run-time).
# Exits 77 (skipped) when the library needs a sanitizer run-time that
# APP_FLAGS does not provide (a sanitizer given through c_args).
# environment: CC and CXX (command lines; CXX empty skips the C++ part),
# MESON (optional, default `meson`); SYMCLONE_TOOL=1 when the symclone tool
# is built, with SYMCLONE_BINDIR and SYMCLONE_MANDIR (absolute or relative to
# the prefix): the installed tool then runs clone, check and export, and its
# manual page must be installed.
set -eu

build_root=$1
prefix=$2
libdir=$3
includedir=$4
source_headers=$5
app_c=$6
app_cpp=$7
app_flags=${8:-}
meson_cmd=${MESON:-meson}

case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $includedir in /*) ;; *) includedir=$prefix/$includedir ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/symclone-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
dest=$tmp/dest

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

echo "installing into $dest"
$meson_cmd install -C "$build_root" --destdir "$dest" --no-rebuild --quiet

# What was installed.
lib=$dest$libdir/libsymclone.so
[ -e "$lib" ] || fail "no $libdir/libsymclone.so"
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ -n "$soname" ] || fail "libsymclone.so has no SONAME"
[ -e "$dest$libdir/$soname" ] || fail "SONAME $soname is not installed"
if readelf -d "$lib" | grep -E '\((RPATH|RUNPATH)\)' | grep -F "$build_root" >/dev/null; then
  fail "the installed library keeps a run path into the build tree"
fi
echo "ok: library $libdir/$soname"

if [ -z "$app_flags" ]; then
  runtime=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(lib[a-z]*san\.so[^]]*\)\].*/\1/p' | head -n 1)
  if [ -n "$runtime" ]; then
    echo "SKIP: the library needs the sanitizer run-time $runtime and no -fsanitize flag" \
      "was given for the outside programs (a sanitizer set through c_args, not b_sanitize)"
    exit 77
  fi
fi

# mpi.h belongs to libsymclone-mpi, installed only by a build with MPI
have_mpi=0
[ -e "$dest$libdir/libsymclone-mpi.so" ] && have_mpi=1
for h in "$source_headers"/*.h version.h; do
  name=$(basename "$h")
  [ "$name" = mpi.h ] && [ "$have_mpi" = 0 ] && continue
  [ -f "$dest$includedir/symclone/$name" ] || fail "header $name is not installed"
done
echo "ok: headers in $includedir/symclone"

pcdir=$dest$libdir/pkgconfig
[ -f "$pcdir/symclone.pc" ] || fail "no $libdir/pkgconfig/symclone.pc"

# pkg-config as a user of the destdir sees it: the sysroot prefixes every
# -I and -L path with the destdir.  System paths are kept so that even
# prefix=/usr gives flags that point into the destdir.
PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR=$dest
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_ALLOW_SYSTEM_CFLAGS PKG_CONFIG_ALLOW_SYSTEM_LIBS
flags=$(pkg-config --cflags --libs symclone) || fail "pkg-config --cflags --libs symclone"
modversion=$(pkg-config --modversion symclone)
if [ "$have_mpi" = 1 ]; then
  # libsymclone-mpi holds libsymclone's objects: it requires this very version
  pkg-config --print-requires symclone-mpi | grep -qx "symclone = $modversion" ||
    fail "symclone-mpi.pc does not require symclone = $modversion"
fi
echo "pkg-config: $flags (version $modversion)"
case " $flags " in *" -I$dest"*) ;; *) fail "pkg-config --cflags does not point into the destdir" ;; esac
case " $flags " in *" -L$dest"*) ;; *) fail "pkg-config --libs does not point into the destdir" ;; esac

# Build, check which library is loaded, run.
run_app() {
  label=$1
  exe=$2
  deps=$(LD_LIBRARY_PATH=$dest$libdir ldd "$exe") || fail "ldd $label"
  echo "$deps" | grep 'libsymclone' | grep -F "$dest" >/dev/null ||
    fail "$label does not load the installed library: $deps"
  out=$(LD_LIBRARY_PATH=$dest$libdir "$exe") || fail "$label exited with an error: $out"
  echo "$out" | sed "s/^/$label: /"
  echo "$out" | grep -x "run-time version $modversion" >/dev/null ||
    fail "$label: run-time version differs from pkg-config's $modversion"
  echo "$out" | grep -x "compile-time version $modversion" >/dev/null ||
    fail "$label: compile-time version differs from pkg-config's $modversion"
}

# shellcheck disable=SC2086 # CC, CXX and flags are command lines
$CC -std=c11 -Wall -Wextra -pedantic -Werror $app_flags -o "$tmp/app" "$app_c" $flags ||
  fail "compiling app.c against the installed library"
run_app "C app" "$tmp/app"

if [ -n "${CXX:-}" ]; then
  # shellcheck disable=SC2086
  $CXX -std=c++11 -Wall -Wextra -pedantic -Werror $app_flags -o "$tmp/app++" "$app_cpp" $flags ||
    fail "compiling app.cpp against the installed library"
  run_app "C++ app" "$tmp/app++"
else
  echo "no C++ compiler: C++ part skipped"
fi
# The tool, as a user runs it after installing: from bindir, on the
# installed library, with its manual page in man1.
if [ "${SYMCLONE_TOOL:-0}" = 1 ]; then
  bindir=${SYMCLONE_BINDIR:-bin}
  mandir=${SYMCLONE_MANDIR:-share/man}
  case $bindir in /*) ;; *) bindir=$prefix/$bindir ;; esac
  case $mandir in /*) ;; *) mandir=$prefix/$mandir ;; esac
  tool=$dest$bindir/symclone
  [ -x "$tool" ] || fail "no $bindir/symclone"
  [ -f "$dest$mandir/man1/symclone.1" ] || fail "no $mandir/man1/symclone.1"
  if readelf -d "$tool" | grep -E '\((RPATH|RUNPATH)\)' | grep -F "$build_root" >/dev/null; then
    fail "the installed symclone keeps a run path into the build tree"
  fi
  deps=$(LD_LIBRARY_PATH=$dest$libdir ldd "$tool") || fail "ldd symclone"
  echo "$deps" | grep 'libsymclone' | grep -F "$dest" >/dev/null ||
    fail "symclone does not load the installed library: $deps"
  out=$(LD_LIBRARY_PATH=$dest$libdir "$tool" --version) || fail "symclone --version"
  [ "$out" = "symclone $modversion (libsymclone $modversion)" ] ||
    fail "symclone --version: $out, not version $modversion"
  (
    cd "$tmp"
    export LD_LIBRARY_PATH="$dest$libdir"
    "$tool" clone --group C4 --kind lifting --size 7 --blocks 9 --steps 300 --threads 1 \
      --quiet -o c4.scs >clone.txt || fail "symclone clone from the install"
    "$tool" check c4.scs --max-rel-loss 0.01 >check.txt || fail "symclone check from the install"
    "$tool" export c4.scs -o c4.safetensors >export.txt ||
      fail "symclone export from the install"
    grep -x 'kind=lifting' check.txt >/dev/null || fail "symclone check: no kind=lifting"
    [ -s c4.safetensors ] || fail "symclone export wrote nothing"
  )
  echo "ok: $bindir/symclone runs clone, check and export; $mandir/man1/symclone.1"
fi

echo "install test passed"
