#!/usr/bin/env bash
# `make bench` / `make bench-json`: every benchmark that was built, in order.
# Each measures weft and its peer in the same run and prints both (and, as a
# table, their ratio). Pass --json for one JSON object per line only.
set -euo pipefail
build=${1:-build}
shift || true
order="switch spawn skynet idle pingpong ring fanin cores echo http http_parsers tls https deferred remote"
for name in $order; do
  bin="$build/bench/bench_$name"
  [ -x "$bin" ] || continue
  "$bin" "$@"
  if [ "$name" = skynet ]; then
    # 10^7 leaves: weft alone (Boost.Fiber takes about a minute), for its time and peak RSS.
    "$bin" --leaves 10000000 --only weft --runs 1 "$@"
  fi
done
