#!/usr/bin/env bash
# Checks that misuses weft promises to stop at compile time do stop there,
# with the message weft wrote for them. Each tests/compile_fail/*.cpp holds
# one misuse and, under #ifdef WEFT_CONTROL, the correct form beside it:
#  - compiled with -DWEFT_CONTROL it must compile (so a failure below comes
#    from the misuse, not from a typo in the snippet);
#  - compiled without it, it must fail, and the compiler's output must
#    contain the text of the snippet's `// expect: ` line.
# Usage: compile_fail_test.sh SOURCE_ROOT WEFT_INCLUDE_DIR C++-COMPILER [ARGS...]
# (WEFT_INCLUDE_DIR: the build's weft-include/, where <weft/...> resolves.)
set -u
root=$1
inc=$2
shift 2
cd "$root" || exit 2
failures=0
count=0
for snippet in tests/compile_fail/*.cpp; do
  count=$((count + 1))
  expect=$(sed -n 's|^// expect: ||p' "$snippet" | head -n 1)
  if [ -z "$expect" ]; then
    echo "compile_fail: $snippet has no '// expect: ' line"
    failures=$((failures + 1))
    continue
  fi
  if ! out=$("$@" -std=c++20 -fsyntax-only -I. -I"$inc" -DWEFT_CONTROL "$snippet" 2>&1); then
    echo "compile_fail: $snippet: the correct form (WEFT_CONTROL) does not compile:"
    echo "$out" | head -n 20
    failures=$((failures + 1))
    continue
  fi
  if out=$("$@" -std=c++20 -fsyntax-only -I. -I"$inc" "$snippet" 2>&1); then
    echo "compile_fail: $snippet compiles, but must not"
    failures=$((failures + 1))
  elif ! grep -qF -- "$expect" <<<"$out"; then
    echo "compile_fail: $snippet fails to compile, but without saying: $expect"
    echo "$out" | head -n 20
    failures=$((failures + 1))
  else
    echo "compile_fail: $snippet: stopped with \"$expect\""
  fi
done
if [ "$failures" -gt 0 ]; then
  echo "compile_fail: $failures of $count snippet(s) wrong"
  exit 1
fi
echo "compile_fail: $count snippet(s) stopped as promised"
