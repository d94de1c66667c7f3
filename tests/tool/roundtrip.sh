#!/bin/sh
# clone -> check -> export -> import -> info: the figures of every file
# compared, the imported student bit for bit the cloned one, --json parsed.
#
# A student restricted to invariant subspaces, and a network export, are
# described too.
#
# usage: roundtrip.sh SYMCLONE PYTHON3 NETWORK_EXPORT
set -eu
tool=$1
py=$2
net=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/symclone-tool.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# a small C4 lifting student, close to exact
"$tool" clone --group C4 --kind lifting --kernel 3 --size 9 --blocks 9 --steps 300 \
  --threads 1 --quiet --json -o c4.scs >clone.json || fail "clone"
[ -s c4.scs ] || fail "clone wrote no student"

# JSON: parse each object and pick figures with the standard library only
field() { # FILE KEY
  "$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = d[sys.argv[2]]
print(repr(v) if isinstance(v, float) else v)' "$1" "$2" || fail "$1 is not JSON with $2"
}
[ "$(field clone.json kind)" = lifting ] || fail "clone: kind"
[ "$(field clone.json group)" = C4 ] || fail "clone: group"
[ "$(field clone.json blocks)" = 9 ] || fail "clone: blocks"
[ "$(field clone.json steps)" = 300 ] || fail "clone: steps"
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["rel_loss"] < 1e-3, d["rel_loss"]
assert d["toeplitz_rel_dist"] < 3e-2, d["toeplitz_rel_dist"]
assert len(d["toeplitz_rel_dist_per_orientation"]) == 4
' clone.json || fail "clone: the figures of a 9-block C4 student are not small"

"$tool" check c4.scs --json >check.json || fail "check"
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["equiv_err"] < 1e-2, d["equiv_err"]
assert d["mask"] == "none"
' check.json || fail "check: the equivariance error of a 9-block C4 student is not small"

"$tool" export c4.scs -o c4.safetensors >/dev/null || fail "export safetensors"
"$tool" export c4.scs -o c4.npz --json >export.json || fail "export npz"
[ "$(field export.json written_format)" = npz ] || fail "export: written_format"
"$tool" export c4.scs --format npz -o c4.data >/dev/null || fail "export --format npz"
cmp c4.npz c4.data >/dev/null || fail "export: --format npz and the .npz suffix differ"

for f in safetensors npz; do
  "$tool" import "c4.$f" -o "back-$f.scs" >/dev/null || fail "import $f"
  cmp c4.scs "back-$f.scs" || fail "import $f: not the cloned student bit for bit"
  "$tool" check "c4.$f" --json >"check-$f.json" || fail "check $f"
  "$tool" check "back-$f.scs" --json >"check-back-$f.json" || fail "check back-$f"
done

# the same figures from every file; only file and format differ
for f in check-safetensors.json check-npz.json check-back-safetensors.json \
  check-back-npz.json; do
  "$py" -c 'import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
for d in (a, b):
    d.pop("file"); d.pop("format")
assert a == b, (a, b)
' check.json "$f" || fail "$f: figures differ from check.json"
done

for f in c4.scs c4.safetensors c4.npz; do
  "$tool" info "$f" --json >"info-$f.json" || fail "info $f"
  "$py" -c 'import json, sys
a = json.load(open(sys.argv[1])); i = json.load(open(sys.argv[2])); c = json.load(open(sys.argv[3]))
for k in ("kind", "group", "orientations", "kernel", "height", "width", "padding", "blocks",
          "param_count", "rel_loss", "toeplitz_rel_dist"):
    assert a[k] == i[k], (k, a[k], i[k])
assert i["rel_loss"] == c["rel_loss"]
assert i["toeplitz_rel_dist"] == c["toeplitz_rel_dist"], (i["toeplitz_rel_dist"], c["toeplitz_rel_dist"])
assert i["param_count"] == 9 * 49 * 81 + 9 * 9 + 4 * 81, i["param_count"]
' clone.json "info-$f.json" check.json || fail "info $f: differs from clone's figures"
done
[ "$(field info-c4.scs.json format)" = student ] || fail "info: format of c4.scs"
[ "$(field info-c4.npz.json format)" = npz ] || fail "info: format of c4.npz"
[ "$(field info-c4.safetensors.json format)" = safetensors ] || fail "info: format"
[ "$(field info-c4.scs.json file_library_version)" = unrecorded ] || fail "info: version"
v=$("$tool" --version | sed -n 's/^symclone \([^ ]*\) .*/\1/p')
[ "$(field info-c4.npz.json file_library_version)" = "$v" ] || fail "info: npz version"
[ "$(field info-c4.safetensors.json file_library_version)" = "$v" ] || fail "info: version"

# name=value lines carry the same figures
"$tool" info c4.scs >info.txt || fail "info (lines)"
grep -x 'kind=lifting' info.txt >/dev/null || fail "info: no kind=lifting line"
rel=$("$py" -c 'import json, sys; print("%.6e" % json.load(open(sys.argv[1]))["rel_loss"])' \
  check.json)
grep -x "rel_loss=$rel" info.txt >/dev/null || fail "info: rel_loss line differs from --json"

# the pictures
"$tool" picture c4.scs -o pic --format pgm --json >picture.json || fail "picture"
for p in pic-matrix.pgm pic-features.pgm; do
  [ "$(head -c 2 "$p")" = P5 ] || fail "picture: $p is not a PGM"
done
[ "$(field picture.json features_elements)" = 0,1,2,3 ] || fail "picture: elements"

# the other families clone, check and export too
for spec in "--group T2 --padding circular" "--group C4 --kind group" \
  "--group D4 --kind lifting --padding zero" "--group D2 --kind group"; do
  # shellcheck disable=SC2086 # spec is a list of options
  "$tool" clone $spec --size 7 --steps 150 --threads 1 -q -o f.scs >/dev/null ||
    fail "clone $spec"
  "$tool" check f.scs --max-rel-loss 0.05 >/dev/null || fail "check after clone $spec"
  "$tool" export f.scs -o f.npz >/dev/null || fail "export after clone $spec"
  "$tool" import f.npz -o g.scs >/dev/null && cmp f.scs g.scs || fail "import after clone $spec"
done
# check at a kernel trained elsewhere: an .npy bank [2, 1, 3, 3], channel
# (1, 0) an edge detector, channel (0, 0) zero
"$py" -c 'import struct
shape = "(2, 1, 3, 3)"
hdr = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: %s, }" % shape
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
vals = [0.0] * 9 + [-1, 0, 1, -2, 0, 2, -1, 0, 1]
open("bank.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode()
                              + struct.pack("<18f", *vals))' || fail "writing bank.npy"
"$tool" check c4.scs --teacher bank.npy --channel 1,0 --json >check-bank.json ||
  fail "check --teacher"
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["kernel_theta"] == "teacher", d
assert d["rel_dist_at_kernel"] < 3e-2, d["rel_dist_at_kernel"]
assert d["equiv_err"] < 1e-2, d["equiv_err"]
' check-bank.json || fail "check --teacher: the figures at the bank's kernel"
if "$tool" check c4.scs --teacher bank.npy >/dev/null 2>&1; then
  fail "check --teacher took the zero kernel of channel 0,0"
fi

# a student restricted to invariant filter subspaces: equivariant whatever
# its training, at the best loss of its blocks
"$tool" clone --group C4 --list-subspaces --json >subspaces.json || fail "--list-subspaces"
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["group"] == "C4" and len(d["subspaces"]) == 7, d
assert sum(s["dim"] for s in d["subspaces"]) == 9
' subspaces.json || fail "--list-subspaces: not the 7 subspaces of 3x3 filters under C4"
"$tool" clone --group C4 --subspaces 0,1,2,3 --size 9 --steps 100 --threads 1 -q --json \
  -o restricted.scs >restricted.json || fail "clone --subspaces"
"$tool" check restricted.scs --json >check-restricted.json || fail "check restricted.scs"
"$py" -c 'import json, sys
c = json.load(open(sys.argv[1])); k = json.load(open(sys.argv[2]))
assert c["blocks"] == 5 and c["restriction"] == "C4:0,1,2,3", c
assert k["restriction"] == "C4:0,1,2,3", k
assert k["equiv_err"] < 1e-5, k["equiv_err"]
assert abs(k["best_loss"] - 4 / 9) < 1e-6, k["best_loss"]
assert k["rel_loss"] >= k["best_loss"] - 1e-6, k
' restricted.json check-restricted.json || fail "the restricted student's figures"

# a network export
"$tool" info "$net" --json >net.json || fail "info on a network export"
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["content"] == "network" and d["layer_kinds"] == "cloned,relu,dense", d
' net.json || fail "info: the network export's description"
echo "round trip passed"
