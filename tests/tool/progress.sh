#!/bin/sh
# Progress of symclone clone: name=value lines when stderr is not a
# terminal, nothing with --quiet, a bar on a terminal (through script(1)
# when it is there), the --curve CSV, a training stopped by a signal, and
# scripts/plot-curve's PNG (when /usr/bin/python3 has matplotlib).
#
# usage: progress.sh SYMCLONE PLOT_CURVE
set -eu
tool=$1
plot=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/symclone-tool.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

"$tool" clone --size 7 --steps 200 --threads 1 -o a.scs --curve a.csv >out 2>err ||
  fail "clone"
lines=$(grep -c '^step=[0-9]* loss=[-+.e0-9]* rel_loss=[-+.e0-9]* elapsed=[.0-9]*$' err || true)
[ "$lines" -ge 5 ] || fail "$lines step=... lines on stderr (a pipe), fewer than 5: $(cat err)"
[ "$(wc -l <err)" -eq "$lines" ] || fail "stderr holds more than the step lines: $(cat err)"
grep '^step=200 ' err >/dev/null ||
  fail "no line for the last step"
if grep -F '%' err >/dev/null; then fail "a bar on a pipe"; fi

"$tool" clone --size 7 --steps 50 --threads 1 --quiet -o b.scs >out 2>err || fail "clone -q"
[ ! -s err ] || fail "--quiet wrote to stderr: $(cat err)"

# the curve
[ "$(head -n 1 a.csv)" = "step,seconds,rel_loss,toeplitz_rel_dist" ] || fail "curve header"
rows=$(($(wc -l <a.csv) - 1))
[ "$rows" -eq 200 ] || fail "$rows curve rows, not 200 (one a step)"
tail -n 1 a.csv | grep '^200,[.0-9]*,[-+.e0-9]*,[-+.e0-9]*$' >/dev/null ||
  fail "last curve row: $(tail -n 1 a.csv)"
ls -a | grep symclone-tmp >/dev/null && fail "a temporary file was left behind"

# a signal stops the training: nothing written, no temporary file left, and
# the tool ends by that signal
"$tool" clone --size 12 --steps 100000000 --threads 1 -o stopped.scs --curve stopped.csv \
  >out 2>err &
pid=$!
# the curve's temporary file is made just before the training starts
for _ in $(seq 50); do
  ls -a | grep 'stopped.csv.symclone-tmp' >/dev/null && break
  sleep 0.2
done
sleep 1
kill -TERM "$pid"
set +e
wait "$pid"
status=$?
set -e
[ "$status" -eq 143 ] || fail "clone after SIGTERM: status $status, not 143 (128 + SIGTERM)"
grep 'interrupted at step [0-9]*; stopped.scs not written' err >/dev/null ||
  fail "clone after SIGTERM: $(tail -n 1 err)"
[ ! -e stopped.scs ] && [ ! -e stopped.csv ] || fail "clone after SIGTERM wrote a file"
if ls -a | grep symclone-tmp >/dev/null; then fail "a temporary file was left after SIGTERM"; fi

# a bar with percentage, rate and time left on a terminal
if command -v script >/dev/null 2>&1; then
  script -qec "'$tool' clone --size 7 --steps 200 --threads 1 -o c.scs >/dev/null" /dev/null \
    >tty.txt 2>&1 </dev/null || fail "clone on a terminal"
  tr '\r' '\n' <tty.txt | grep '100% \[#*\] 200/200 .* steps/s .* left' >/dev/null ||
    fail "no bar on a terminal: $(tr '\r' '\n' <tty.txt | tail -n 3)"
  if tr '\r' '\n' <tty.txt | grep '^step=' >/dev/null; then fail "step lines on a terminal"; fi
else
  echo "no script(1): the terminal bar is not tested"
fi

# plot-curve
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$plot" a.csv a.png >/dev/null || fail "plot-curve"
  [ "$(head -c 4 a.png | od -An -c | tr -d ' ')" = "211PNG" ] || fail "plot-curve: not a PNG"
  printf 'x,y\n1,2\n' >bad.csv
  if /usr/bin/python3 "$plot" bad.csv bad.png 2>/dev/null; then fail "plot-curve took bad.csv"; fi
else
  echo "no matplotlib for /usr/bin/python3: plot-curve is not tested"
fi
echo "progress test passed"
