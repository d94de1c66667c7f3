#!/bin/sh
# Run a reflection experiment briefly on small synthetic IDX files
# (make_idx.py: 300 training and 100 test images of 28x28, reduced to
# 14x14 by --quick; 200 images for 1 epoch, students of 300 updates) and
# check the structure and the symmetry of what it prints, not its
# accuracies:
#   reflection_check.sh PROGRAM generalisation|breaking
# * the header, three student lines (Toeplitz distance <= 1e-2) and the
#   five model lines in order, every accuracy in [0, 1];
# * the parameter counts: the G-CNN and the CNN within a factor 1.5 of each
#   other, a retained clone training only its thetas and biases (as many
#   as the G-CNN has parameters), a broken one training everything;
# * the p4m G-CNN is invariant to the mirror (mirror_change <= 1e-5, and in
#   the generalisation experiment the same accuracy on upright, mirrored
#   and D4-transformed digits), its retained clone nearly so (<= 1e-2),
#   and the CNN and the MLP are not (> 1e-2).
# Then --models gcnn,mlp: those two model lines only, and no student.
# make_idx.py runs with $PYTHON3 (meson's Python), else python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
program=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
kind=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*"; exit 1; }

"${PYTHON3:-python3}" "$here/make_idx.py" tr-images tr-labels 300 28 28
"${PYTHON3:-python3}" "$here/make_idx.py" te-images te-labels 100 28 28
status=0
"$program" --quick --train 200 --epochs 1 --clone-steps 300 --images tr-images \
  --labels tr-labels --test-images te-images --test-labels te-labels >out.txt 2>err.txt ||
  status=$?
cat out.txt
[ "$status" -eq 0 ] || { cat err.txt; fail "exit status $status"; }

# the value of key $2 on the line whose first field is $1
value() { awk -v first="$1" -v k="$2" '$1 == first {
  for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) { print kv[2]; exit } } }' out.txt; }
check() { awk "BEGIN { exit !($1) }" || fail "$2"; }

classes=10
[ "$kind" = breaking ] && classes=20
grep -q "^experiment=reflection_$kind .*mode=quick hw=14 .*train=200 test=100 epochs=1 mirror=vertical_axis" out.txt ||
  fail "the header is not as expected"
[ "$kind" = generalisation ] || grep -q "^experiment=.* classes=20 " out.txt || fail "not 20 classes"
[ "$(grep -c '^student=' out.txt)" -eq 3 ] || fail "not three student lines"
for s in lifting group_a group_b; do
  d=$(value "student=$s" toeplitz_distance)
  [ -n "$d" ] || fail "no student $s"
  check "$d <= 1e-2" "student $s: toeplitz_distance $d > 1e-2"
done
[ "$(grep '^model=' out.txt | cut -d' ' -f1 | tr '\n' ' ')" = \
  "model=gcnn model=cloned_gcnn_retain model=cloned_gcnn_break model=cnn model=mlp " ] ||
  fail "the models are not the five expected, in order"
if [ "$kind" = generalisation ]; then accs="acc_upright acc_mirrored acc_d4"; else accs=acc; fi
for m in gcnn cloned_gcnn_retain cloned_gcnn_break cnn mlp; do
  for a in $accs; do
    v=$(value "model=$m" "$a")
    [ -n "$v" ] || fail "$m: no $a"
    check "$v >= 0 && $v <= 1" "$m: $a=$v outside [0, 1]"
  done
done
p() { value "model=$1" params; }
t() { value "model=$1" trainable; }
check "$(p gcnn) == $(t gcnn) && $(p cnn) == $(t cnn) && $(p mlp) == $(t mlp)" \
  "a plain network does not train all its parameters"
check "$(p gcnn) < 1.5 * $(p cnn) && $(p cnn) < 1.5 * $(p gcnn)" \
  "G-CNN ($(p gcnn)) and CNN ($(p cnn)) are not of comparable size"
check "$(t cloned_gcnn_retain) == $(p gcnn) && $(p cloned_gcnn_retain) > 10 * $(p gcnn)" \
  "the retained clone trains $(t cloned_gcnn_retain) of $(p cloned_gcnn_retain) parameters"
check "$(t cloned_gcnn_break) == $(p cloned_gcnn_break) && $(p cloned_gcnn_break) == $(p cloned_gcnn_retain)" \
  "the broken clone does not train all its parameters"

c() { value "model=$1" mirror_change; }
check "$(c gcnn) <= 1e-5" "the p4m G-CNN is not mirror-invariant: mirror_change $(c gcnn)"
check "$(c cloned_gcnn_retain) <= 1e-2" \
  "the retained clone is not nearly invariant: mirror_change $(c cloned_gcnn_retain)"
check "$(c cnn) > 1e-2 && $(c mlp) > 1e-2" \
  "the CNN ($(c cnn)) or the MLP ($(c mlp)) is mirror-invariant: the measure sees nothing"
if [ "$kind" = generalisation ]; then
  [ "$(value model=gcnn acc_upright)" = "$(value model=gcnn acc_mirrored)" ] &&
    [ "$(value model=gcnn acc_upright)" = "$(value model=gcnn acc_d4)" ] ||
    fail "the p4m G-CNN's accuracies differ between upright, mirrored and D4-transformed digits"
fi
"$program" --quick --train 200 --epochs 1 --models mlp,gcnn --images tr-images \
  --labels tr-labels --test-images te-images --test-labels te-labels >some.txt 2>err.txt ||
  status=$?
[ "$status" -eq 0 ] || { cat err.txt; fail "--models mlp,gcnn: exit status $status"; }
[ "$(grep -c '^student=' some.txt)" -eq 0 ] || fail "--models mlp,gcnn clones students"
[ "$(grep '^model=' some.txt | cut -d' ' -f1 | tr '\n' ' ')" = "model=gcnn model=mlp " ] ||
  fail "--models mlp,gcnn: not the models gcnn and mlp, in this order"
echo "ok: $kind, $classes classes, mirror_change gcnn $(c gcnn) retain $(c cloned_gcnn_retain) cnn $(c cnn) mlp $(c mlp)"
