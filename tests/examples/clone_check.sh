#!/bin/sh
# Run a cloning example briefly with 9 blocks, check its figures against the
# thresholds, then reload the saved student and check that it prints the
# same figures.
#   clone_check.sh EXAMPLE STEPS
set -eu
example=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
steps=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

"$example" --blocks 9 --steps "$steps" --quiet --save student.scs > trained.txt
"$example" --load student.scs --quiet > loaded.txt
cat trained.txt

value() { awk -F= -v k="$1" '$1 == k { print $2; exit }' "$2"; }
fail() { echo "FAIL: $*"; exit 1; }

dist=$(value toeplitz_rel_dist trained.txt)
equiv=$(value equiv_err trained.txt)
[ -n "$dist" ] && [ -n "$equiv" ] || fail "figures missing"
awk -v d="$dist" -v e="$equiv" 'BEGIN { exit !(d <= 1e-2 && e <= 1e-2) }' ||
  fail "toeplitz_rel_dist=$dist equiv_err=$equiv (want both <= 1e-2)"
for k in rel_loss toeplitz_rel_dist equiv_err equiv_err_max; do
  [ "$(value "$k" trained.txt)" = "$(value "$k" loaded.txt)" ] ||
    fail "$k differs after --load: $(value "$k" trained.txt) vs $(value "$k" loaded.txt)"
done
echo "ok: toeplitz_rel_dist=$dist equiv_err=$equiv, identical after reload"
