#!/bin/sh
# Run a cloning example briefly with a student restricted to invariant
# filter subspaces beside a one-block student, check the restricted
# student's side-by-side figures (its relative loss at the closed-form best
# loss, its equivariance error) and that it prints the same figures after
# a reload.
#   clone_restricted.sh EXAMPLE STEPS SUBSPACES
set -eu
example=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
steps=$2
subspaces=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

"$example" --blocks 1 --subspaces "$subspaces" --steps "$steps" --quiet --save student.scs \
  > trained.txt
"$example" --load student.scs.restricted --quiet > loaded.txt
cat trained.txt

value() { awk -F= -v k="$1" '$1 == k { print $2; exit }' "$2"; }
fail() { echo "FAIL: $*"; exit 1; }

row=$(awk -F= '$1 == "row" && $2 ~ /restricted,[0-9]+,yes,/ { print $2; exit }' trained.txt)
[ -n "$row" ] || fail "no restricted row in side_by_side"
rel=$(echo "$row" | cut -d, -f4)
best=$(echo "$row" | cut -d, -f5)
equiv=$(echo "$row" | cut -d, -f6)
awk -v r="$rel" -v b="$best" -v e="$equiv" \
  'BEGIN { d = r - b; if (d < 0) d = -d; exit !(d <= 1e-3 && e <= 1e-4) }' ||
  fail "rel_loss=$rel best_rel_loss=$best equiv_err=$equiv (want |rel - best| <= 1e-3, equiv <= 1e-4)"
[ "$(value rel_loss loaded.txt)" = "$rel" ] && [ "$(value equiv_err loaded.txt)" = "$equiv" ] ||
  fail "figures differ after --load: $(value rel_loss loaded.txt) $(value equiv_err loaded.txt)"
[ "$(value subspaces loaded.txt)" = "$subspaces" ] ||
  fail "subspaces=$(value subspaces loaded.txt) after --load, not $subspaces"
echo "ok: rel_loss=$rel (best $best) equiv_err=$equiv, identical after reload"
