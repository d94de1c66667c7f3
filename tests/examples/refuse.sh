#!/bin/sh
# Run an example on a bad command line or on bad data and check that it
# refuses cleanly, before doing any work:
#
#   refuse.sh [--idx NAME COUNT ROWS COLS]... [--mnist-dir NAME COUNT ROWS COLS]...
#             [--student NAME KIND ORIENTATIONS KERNEL HEIGHT WIDTH PADDING BLOCKS]...
#             [--late] STATUS PATTERN PROGRAM [ARG...]
#
# --idx writes the IDX pair @/NAME-images, @/NAME-labels and --mnist-dir
# the pair of scripts/fetch-mnist's names in the directory @/NAME, both
# through make_idx.py (COUNT images of ROWS x COLS); --student writes the
# student file @/NAME of that geometry through make_student.py; `@` in an ARG stands
# for the scratch directory the program runs in.  The test passes when the
# program exits with STATUS (not by a signal, and within 60 s), prints
# nothing on stdout, and prints a line matching the extended regular
# expression PATTERN on stderr, and for STATUS 2 also its usage.  With
# STATUS 0 (--help) the usage and PATTERN go to stdout and stderr is empty.
# --late is for a refusal that comes after the program printed figures
# (the library version, a teacher's or a student's): stdout is not checked.
# make_idx.py and make_student.py run with $PYTHON3 (meson's Python), else python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
late=0

while :; do
  case $1 in
    --idx)
      "${PYTHON3:-python3}" "$here/make_idx.py" "$dir/$2-images" "$dir/$2-labels" "$3" "$4" "$5"
      shift 5 ;;
    --mnist-dir)
      mkdir -p "$dir/$2"
      "${PYTHON3:-python3}" "$here/make_idx.py" "$dir/$2/mnist10k-images-idx3-ubyte.gz" \
        "$dir/$2/mnist10k-labels-idx1-ubyte.gz" "$3" "$4" "$5"
      shift 5 ;;
    --student)
      "${PYTHON3:-python3}" "$here/make_student.py" "$dir/$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
      shift 9 ;;
    --late) late=1; shift ;;
    *) break ;;
  esac
done
want=$1 pattern=$2 program=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
shift 3
for a in "$@"; do
  shift
  set -- "$@" "$(printf '%s' "$a" | sed "s|@|$dir|g")"
done

cd "$dir"
status=0
if command -v timeout >/dev/null 2>&1; then
  timeout 60 "$program" "$@" >out.txt 2>err.txt || status=$?
else
  "$program" "$@" >out.txt 2>err.txt || status=$?
fi
echo "$(basename "$program") $*: exit status $status"
echo "-- stderr:"; cat err.txt
echo "-- stdout:"; cat out.txt

[ "$status" -eq "$want" ] || fail "exit status $status, expected $want"
if [ "$want" -eq 0 ]; then
  [ ! -s err.txt ] || fail "stderr is not empty"
  grep -q '^usage:' out.txt || fail "no usage on stdout"
  grep -Eq -e "$pattern" out.txt || fail "stdout does not match '$pattern'"
else
  if [ "$late" -eq 0 ]; then
    [ ! -s out.txt ] || fail "stdout is not empty: the program went on"
  fi
  grep -Eq -e "$pattern" err.txt || fail "stderr does not match '$pattern'"
  if [ "$want" -eq 2 ]; then grep -q '^usage:' err.txt || fail "no usage on stderr"; fi
fi
echo "ok"
