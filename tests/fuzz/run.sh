#!/usr/bin/env bash
# Build the fuzz targets with clang and libFuzzer (AddressSanitizer and
# UndefinedBehaviorSanitizer on, in the library too) and run each for a
# bounded time.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to $FUZZ_SECONDS or 45; targets default to
# all of idx, idx_gz, student, api, safetensors, npz, npy.  The build goes to
# build-fuzz/ (or $FUZZ_BUILD).
# Each target starts from its seed corpus (tests/fuzz/corpus/NAME) and the
# inputs of earlier failures (tests/fuzz/regressions/NAME); what it learns
# goes to build-fuzz/corpus-NAME, never into the repository.  When a target
# fails, libFuzzer leaves the input in build-fuzz/artifacts/NAME/: fix the
# bug, then copy the input into tests/fuzz/regressions/NAME/ so that the
# fuzz-replay tests of `meson test` run it from then on.
# Needs clang with the compiler-rt sanitizer and libFuzzer libraries
# (Debian: clang, libclang-rt-14-dev; scripts/install-deps installs them).
set -euo pipefail

cd "$(dirname "$0")/../.."
seconds=${1:-${FUZZ_SECONDS:-45}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx idx_gz student api safetensors npz npy)
build=${FUZZ_BUILD:-build-fuzz}
CLANG=${CLANG:-clang}

san='-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer'
if [ -f "$build/meson-private/coredata.dat" ]; then
  action=(--reconfigure)
else
  action=()
fi
CC=$CLANG meson setup "${action[@]}" "$build" -Dtests=disabled -Dexamples=disabled \
  -Ddocs=disabled -Dtool=disabled -Dmpi=disabled -Dcairo=disabled \
  -Dbuildtype=debugoptimized -Db_lundef=false \
  -Dc_args="-fsanitize=fuzzer-no-link $san" -Dc_link_args="$san" >"$build.setup.log" 2>&1 ||
  { cat "$build.setup.log"; exit 1; }
ninja -C "$build" lib/libsymclone_test.a >/dev/null

libs=$(pkg-config --libs openblas zlib 2>/dev/null || pkg-config --libs blas zlib)
if pkg-config --exists libpng; then libs="$libs $(pkg-config --libs libpng)"; fi

export OPENBLAS_NUM_THREADS=1
# Sanitizers report and stop; a huge allocation is a failure of its own
# (libFuzzer's -malloc_limit_mb), not a NULL the library would handle.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One JSON line per target (name, result, seconds), in the format of
# Meson's testlog.json, for scripts/test's count.
log=$build/testlog.json
rm -f "$log"
status=0
for t in "${targets[@]}"; do
  exe=$build/fuzz_$t
  # shellcheck disable=SC2086 # san and libs are lists of flags
  $CLANG -w -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer $san \
    -Iinclude -I"$build/include" -I"$build" \
    -o "$exe" "tests/fuzz/fuzz_$t.c" tests/fuzz/fuzz_common.c \
    "$build/lib/libsymclone_test.a" $libs -lm -lpthread
  work=$build/corpus-$t
  art=$build/artifacts/$t
  mkdir -p "$work" "$art" "tests/fuzz/regressions/$t"
  echo "== fuzz_$t for $seconds s"
  if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -max_len=4096 -print_final_stats=1 -artifact_prefix="$art/" \
      "$work" "tests/fuzz/corpus/$t" "tests/fuzz/regressions/$t" >"$build/fuzz_$t.log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done )' "$build/fuzz_$t.log" |
      sed "s/^/fuzz_$t: /" || true
    echo "fuzz_$t: $(find "$work" -type f | wc -l) inputs in $work"
    echo "{\"name\": \"fuzz_$t\", \"result\": \"OK\", \"duration\": $seconds}" >>"$log"
  else
    echo "{\"name\": \"fuzz_$t\", \"result\": \"FAIL\", \"duration\": $seconds}" >>"$log"
    status=1
    tail -n 60 "$build/fuzz_$t.log"
    echo "FAIL: fuzz_$t found a failing input: $(ls "$art" | head -n 3)"
  fi
done
exit $status
