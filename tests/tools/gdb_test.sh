#!/usr/bin/env bash
# The gdb helper (docs/weft_gdb.py) against tests/tools/gdb_target.cpp, in
# gdb's batch mode: `info tasklets` lists the parked tasklets with their
# waits, `tasklet bt` shows the function one parked in, and the program then
# goes on to its normal end. Skipped (exit 77) without gdb.
# Usage: gdb_test.sh HELPER TARGET
set -u
helper=$1
target=$2
if ! command -v gdb >/dev/null 2>&1; then
  echo "SKIP: gdb is not installed (Debian package gdb; make deps installs it)"
  exit 77
fi
# LeakSanitizer cannot work under ptrace (an ASan build would fail at exit).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
out=$(gdb -nx -batch -ex "source $helper" -ex "break weft_gdb_stop_here" -ex run \
  -ex "info tasklets" -ex "tasklet bt 2" -ex continue "$target" 2>&1)
echo "$out"
fail=0
expect() {
  if ! grep -qF -- "$1" <<<"$out"; then
    echo "FAIL: gdb's output lacks: $1"
    fail=1
  fi
}
expect "#1 'main' running"
expect "#2 'waiter' parked: event 0x"
expect "#3 'sleeper' parked: sleep"
expect "#4 'inbox' parked: receive"
expect "4 tasklet(s)"
expect "parked_for_gdb"
expect "exited normally"
exit $fail
