#!/usr/bin/env bash
# `make bench` / `make bench-json`: every benchmark that was built, in order.
# Each measures weft and its peer in the same run and prints both (and, as a
# table, their ratio). Pass --json for one JSON object per line only.
set -euo pipefail
build=${1:-build}
shift || true
order="switch spawn skynet idle pingpong ring fanin echo http deferred"
for name in $order; do
  bin="$build/bench/bench_$name"
  [ -x "$bin" ] || continue
  "$bin" "$@"
done
