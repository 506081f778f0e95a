#!/usr/bin/env bash
# `make demo`'s narration (examples/demo.sh): every section names an example
# source that exists, and output that is not a terminal carries no escape
# codes. Runs the script against a build directory without examples, so that
# only the narration is printed.
# Usage: demo_text_test.sh SOURCE_ROOT
set -u
root=$1
cd "$root" || exit 2
failures=0
fail() {
  echo "demo_text: $*"
  failures=$((failures + 1))
}

out=$(TERM=xterm ./examples/demo.sh /nonexistent-build 2>&1) || fail "demo.sh failed: $out"
if grep -q $'\033' <<<"$out"; then
  fail "escape codes in output that is not a terminal:"
  grep $'\033' <<<"$out" | od -c | head -n 5
fi

# Every section of demo.sh names the example file(s) it runs, and they exist.
sections=$(grep -c '^ *say "' examples/demo.sh)
named=0
while read -r sources; do
  named=$((named + 1))
  IFS=',' read -ra files <<<"$sources"
  for f in "${files[@]}"; do
    f=${f# }
    [ -f "$f" ] || fail "demo.sh names $f, which does not exist"
  done
done < <(sed -nE 's/^ *say "[^"]*" "(examples\/[^"]*)".*/\1/p' examples/demo.sh)
[ "$named" -eq "$sections" ] || fail "$sections sections, but only $named name their example"
[ "$sections" -gt 0 ] || fail "no sections found in examples/demo.sh"

if [ "$failures" -gt 0 ]; then
  exit 1
fi
echo "demo_text: $sections sections, each naming its example; no escape codes in a pipe"
