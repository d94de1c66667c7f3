#!/bin/sh
# Exit status 0 / 1 / 2 of good, bad-file and bad-usage command lines; a
# refusal is one line on stderr and nothing on stdout.
#
# usage: exit-status.sh SYMCLONE
set -eu
tool=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/symclone-tool.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
failures=0

bad() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect STATUS PATTERN ARGS...: the status, and PATTERN in the message
expect() {
  want=$1
  pattern=$2
  shift 2
  set +e
  "$tool" "$@" >out 2>err </dev/null
  got=$?
  set -e
  lines=$(wc -l <err)
  why=""
  [ "$got" = "$want" ] || why="status $got, not $want"
  if [ -z "$why" ] && [ "$want" != 0 ]; then
    if [ "$lines" != 1 ]; then
      why="$lines lines on stderr, not 1"
    elif ! grep -F -- "$pattern" err >/dev/null; then
      why="no '$pattern' in the message"
    elif [ "$want" = 2 ] && ! grep -F -- "--help" err >/dev/null; then
      why="the message does not point to --help"
    elif [ "$want" = 2 ] && [ -s out ]; then
      why="output on stdout"
    fi
  fi
  if [ -n "$why" ]; then
    bad "symclone $*: $why"
    sed 's/^/  stderr: /' err >&2
  else
    echo "ok: $want: symclone $*"
  fi
}

# a good student and its exports
"$tool" clone --size 7 --steps 20 --threads 1 -q -o good.scs >/dev/null
"$tool" export good.scs -o good.npz >/dev/null
"$tool" export good.scs -o good.safetensors >/dev/null

# 0: good
expect 0 "" --help
expect 0 "" --version
expect 0 "" help
expect 0 "" help clone
expect 0 "" clone --help
expect 0 "" check good.scs
expect 0 "" check good.scs --max-toeplitz 1e30
expect 0 "" info good.npz
expect 0 "" info -- good.scs
expect 0 "" export good.scs --output=x.safetensors
"$tool" help clone >h1
"$tool" clone --help >h2
grep -F "usage: symclone clone" h1 >/dev/null || bad "help clone prints no usage"
cmp h1 h2 >/dev/null || bad "help clone differs from clone --help"

# 2: the command line
expect 2 "missing command"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "unknown option '--frobnicate'" --frobnicate
expect 2 "unknown command 'nope'" help nope
expect 2 "unknown option '--bogus'" clone --bogus -o x.scs
expect 2 "unknown option '--bogus'" check good.scs --bogus
expect 2 "-o FILE is required" clone
expect 2 "--steps needs a value" clone -o x.scs --steps
expect 2 "'1e3' is not a whole number" clone -o x.scs --steps 1e3
expect 2 "'12abc' is not a whole number" clone -o x.scs --steps 12abc
expect 2 "0 is outside [1," clone -o x.scs --steps 0
expect 2 "'-5' is not N or HxW" clone -o x.scs --size -5
expect 2 "is outside [1, 1024]" clone -o x.scs --size 99999999999999999999
expect 2 "is outside [1, 1024]" clone -o x.scs --size 28x0
expect 2 "-1 is outside [1, 4096]" clone -o x.scs --blocks -1
expect 2 "is outside [1, 4096]" clone -o x.scs --blocks 18446744073709551617
expect 2 "'nan' is not a finite number" clone -o x.scs --lr nan
expect 2 "'inf' is not a finite number" clone -o x.scs --lr inf
expect 2 "0 is outside (0, 10]" clone -o x.scs --lr 0
expect 2 "is outside [1, 256]" clone -o x.scs --threads 0
expect 2 "is outside [0, 9007199254740992]" clone -o x.scs --seed -1
expect 2 "'nan' is not a finite number" check good.scs --max-toeplitz nan
expect 2 "4 is not odd" clone -o x.scs --kernel 4
expect 2 "larger than the 5x5 input" clone -o x.scs --kernel 7 --size 5
expect 2 "'C4x' is not T2, Cn or Dn" clone -o x.scs --group C4x
expect 2 "n is outside [1, 360]" clone -o x.scs --group D361
expect 2 "'spiral' is not one of" clone -o x.scs --kind spiral
expect 2 "needs a dihedral group" clone -o x.scs --group C4 --kind dihedral-group
expect 2 "--kind planar" clone -o x.scs --group T2 --kind lifting
expect 2 "--output is given twice" clone -o x.scs -o y.scs
expect 2 "--steps is given twice" clone -o x.scs --steps 5 --steps 6
expect 2 "--quiet takes no value" clone -o x.scs --quiet=1
expect 2 "unexpected argument 'extra'" clone -o x.scs extra
expect 2 "missing FILE operand" info
expect 2 "unexpected argument 'good.npz'" info good.scs good.npz
expect 2 "unexpected argument 'b.scs'" check good.scs b.scs
expect 2 "-o OUT is required" export good.scs
expect 2 "cannot tell the format of x.bin" export good.scs -o x.bin
expect 2 "'zip' is not one of" export good.scs -o x.npz --format zip
expect 2 "-o FILE is required" import good.npz
expect 2 "'/nonexistent' is not a directory" picture good.scs --mnist /nonexistent
expect 2 "unexpected argument" --version extra
expect 2 "--channel goes with --teacher" check good.scs --channel 0,0
expect 2 "is not O,I" check good.scs --teacher good.npz --channel 1
expect 2 "0 is given twice" clone -o x.scs --subspaces 0,0
expect 2 "not a comma-separated list" clone -o x.scs --subspaces 1,,2
expect 2 "7 is not a subspace of C4" clone -o x.scs --subspaces 7
expect 2 "add up to 1 dimensions" clone -o x.scs --subspaces 0 --blocks 9
expect 2 "not C8" clone --group C8 --list-subspaces
expect 2 "give the group of the rotations" clone -o x.scs --group T2 --subspaces 0
[ ! -e x.scs ] && [ ! -e y.scs ] || bad "a refused command wrote a file"

# 1: bad files and outputs
head -c 100 good.scs >truncated.scs
head -c 300 good.npz >truncated.npz
head -c 100 good.safetensors >truncated.safetensors
printf 'not a student\n' >text.scs
: >empty.scs
mkdir dir.scs
mkfifo fifo.scs
expect 1 "No such file" info missing.scs
expect 1 "truncated" info truncated.scs
expect 1 "truncated" check truncated.npz
expect 1 "truncated" check truncated.safetensors
expect 1 "nor a student file" info text.scs
expect 1 "truncated" info empty.scs
expect 1 "not a regular file" info dir.scs
expect 1 "not a regular file" info fifo.scs
expect 1 "not a regular file" check fifo.scs
expect 1 "nor an npz" import good.scs -o x.scs
expect 1 "neither an .npy" check good.scs --teacher text.scs
expect 1 "not a regular file" clone --size 7 --steps 5 -q -o dir.scs
expect 1 "not a regular file" clone --size 7 --steps 5 -q -o fifo.scs
expect 1 "not a regular file" clone --size 7 --steps 5 -q -o good.scs --curve fifo.scs
expect 1 "not a regular file" export good.scs -o fifo.scs --format npz
expect 1 "not a regular file" export good.scs -o dir.scs --format safetensors
expect 1 "not a regular file" import good.npz -o dir.scs
mkfifo p-matrix.pgm
expect 1 "not a regular file" picture good.scs --format pgm -o p
expect 1 "needs about" clone --size 1024 -o big.scs
cp good.scs readonly.scs
chmod 0444 readonly.scs
expect 1 "may not be written" clone --size 7 --steps 5 -q -o readonly.scs
expect 1 "No such file or directory" clone --size 7 --steps 5 -q -o missing/x.scs
cmp good.scs readonly.scs >/dev/null || bad "readonly.scs was replaced"
expect 1 "is above --max-toeplitz" check good.scs --max-toeplitz 0
expect 1 "mnist10k-images-idx3-ubyte.gz" picture good.scs --mnist dir.scs
[ -d dir.scs ] && [ -p fifo.scs ] && [ -p p-matrix.pgm ] || bad "a directory or a FIFO was replaced"
[ ! -e big.scs ] || bad "big.scs was written"

if [ "$failures" -ne 0 ]; then
  echo "$failures failures" >&2
  exit 1
fi
echo "exit status test passed"
