#!/usr/bin/env bash
# An outside Meson project (tests/subproject/consumer/) that uses libsymclone
# as a subproject the way README.md shows, built and run.
#
#   tests/subproject/consumer-test.sh [WORK_DIR]    (default build-consumer)
#
# 1. Checks that the Meson lines of README.md's "As a Meson subproject"
#    are, in order, lines of consumer/meson.build.
# 2. Copies the consumer project to WORK_DIR/src with this source tree
#    linked as its subprojects/libsymclone, configures WORK_DIR/build with
#    --force-fallback-for=symclone (an installed libsymclone is not used) and
#    --wrap-mode=nodownload, and checks that libsymclone came from the
#    subproject.
# 3. Builds it and runs its own test (the program `app` calls the library);
#    the log is WORK_DIR/build/meson-logs/testlog.json.
# Exit status: 0 when everything passed, 1 otherwise.
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$PWD
work=${1:-build-consumer}
consumer=tests/subproject/consumer

fail() {
  echo "consumer-test: $*" >&2
  exit 1
}

# --- 1. the README's lines --------------------------------------------------
python3 - README.md "$consumer/meson.build" <<'PY' || exit 1
import re, sys
readme, build = (open(p, encoding='utf-8').read() for p in sys.argv[1:3])
section = readme.split('**As a Meson subproject**', 1)
if len(section) != 2:
    sys.exit('consumer-test: README.md has no "As a Meson subproject" paragraph')
block = re.search(r'```meson\n(.*?)```', section[1], flags=re.S)
if not block:
    sys.exit('consumer-test: no ```meson block after "As a Meson subproject"')
want = [l for l in block.group(1).splitlines() if l.strip()]
have = build.splitlines()
for i in range(len(have) - len(want) + 1):
    if have[i:i + len(want)] == want:
        print(f'consumer-test: the {len(want)} Meson lines of README.md are in {sys.argv[2]}')
        sys.exit(0)
sys.exit(f'consumer-test: {sys.argv[2]} does not hold the README lines:\n' + '\n'.join(want))
PY

# --- 2. the project, with libsymclone as its subproject -----------------------
rm -rf "$work"
mkdir -p "$work/src/subprojects"
cp "$consumer/meson.build" "$consumer/app.c" "$work/src/"
ln -s "$root" "$work/src/subprojects/libsymclone"
meson setup "$work/build" "$work/src" --force-fallback-for=symclone --wrap-mode=nodownload
grep -q "Dependency symclone found: YES .*(overridden)" "$work/build/meson-logs/meson-log.txt" ||
  fail "libsymclone did not come from the subproject"

# --- 3. build and run ---------------------------------------------------------
ninja -C "$work/build"
meson test -C "$work/build" --no-rebuild -v --suite symclone-consumer
