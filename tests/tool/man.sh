#!/bin/sh
# The manual page: groff (or man) formats it without a warning, and every
# command and every option the tool's own --help lists is in it.
#
# usage: man.sh SYMCLONE MANPAGE
set -eu
tool=$1
page=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/symclone-tool.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

if command -v groff >/dev/null 2>&1; then
  groff -man -ww -z "$page" >"$tmp/warnings" 2>&1 || true
  if [ -s "$tmp/warnings" ]; then
    echo "FAIL: groff -man -ww -z $page warns:" >&2
    cat "$tmp/warnings" >&2
    failures=$((failures + 1))
  else
    echo "ok: groff -man -ww: no warning"
  fi
elif command -v man >/dev/null 2>&1; then
  man --warnings -l "$page" >/dev/null 2>"$tmp/warnings" || true
  if [ -s "$tmp/warnings" ]; then
    echo "FAIL: man --warnings -l $page warns:" >&2
    cat "$tmp/warnings" >&2
    failures=$((failures + 1))
  fi
else
  echo "neither groff nor man: the page's syntax is not checked"
fi

# the page as plain words: roff's \- is -
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page" >"$tmp/page"

"$tool" --help >"$tmp/main"
cmds=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' "$tmp/main")
[ -n "$cmds" ] || { echo "FAIL: symclone --help lists no command" >&2; exit 1; }
for opt in --help --version; do
  grep -F -e "$opt" "$tmp/page" >/dev/null || {
    echo "FAIL: $opt is not in the page" >&2
    failures=$((failures + 1))
  }
done
n=0
for c in $cmds; do
  grep -x "\.SS symclone $c.*" "$tmp/page" >/dev/null || {
    echo "FAIL: no section (.SS) for symclone $c" >&2
    failures=$((failures + 1))
  }
  "$tool" help "$c" >"$tmp/help-$c"
  # option lines: "  --name ..." or "  -o, --name ..."
  opts=$(sed -n 's/^  \(-[a-z], \)\{0,1\}\(--[a-z][-a-z]*\).*/\1\2/p' "$tmp/help-$c" |
    tr -d ',' | tr ' ' '\n' | grep -v '^$')
  [ -n "$opts" ] || { echo "FAIL: symclone help $c lists no option" >&2; exit 1; }
  for o in $opts; do
    n=$((n + 1))
    # in the command's own section of the page (-h and --help: anywhere)
    case $o in
      -h | --help) section=$tmp/page ;;
      *)
        section=$tmp/section
        sed -n "/^\.SS symclone $c/,/^\.S[SH] /p" "$tmp/page" | sed '$d' >"$section"
        ;;
    esac
    grep -F -e "$o" "$section" >/dev/null || {
      echo "FAIL: symclone $c $o is not in the page's section of $c" >&2
      failures=$((failures + 1))
    }
  done
done
if [ "$failures" -ne 0 ]; then
  echo "$failures failures" >&2
  exit 1
fi
echo "man page test passed: $(echo "$cmds" | wc -w) commands, $n options"
