#!/usr/bin/env bash
# `make demo`: a short showcase of weft, narrated for a newcomer.
set -euo pipefail
build=${1:-build}
ex="$build/examples"

say() { printf '\n\033[1m== %s\033[0m\n%s\n\n' "$1" "$2"; }
run_if() {  # runs an example when it was built (its module may be optional)
  if [ -x "$1" ]; then "$@"; else echo "  ($1 is not built here)"; fi
}

say "1. A tree of tasklets" \
"Tasklets are green threads. Each has a name and a parent: main spawns two
teams, each team spawns two workers, and tree() walks the result."
run_if "$ex/core/hello"

say "2. Time: later, interval, rate and deadlines" \
"Helpers run a callable later, every period, or at a steady rate; a deadline
scope bounds every blocking call inside it."
run_if "$ex/core/timers"

say "3. Skynet: a million tasklets" \
"Every node spawns 10 children and sums their results, down to 1,000,000
leaves. Each tasklet gets its own stack, taken from a pool when it first runs."
run_if "$ex/core/skynet"

if [ -x "$ex/mailbox/actors" ]; then
  say "4. Actors talking through mailboxes" \
"Account actors and tellers exchange messages by call/reply; a supervisor
restarts an actor that fails."
  "$ex/mailbox/actors"
fi

if [ -x "$ex/twisted_port/port_showcase" ]; then
  say "5. Twisted code, ported line by line" \
"Deferreds, DeferredList and a Cooperator run on weft's tasklets."
  "$ex/twisted_port/port_showcase"
fi

if [ -x "$ex/io/chat_demo" ]; then
  say "6. A chat server on loopback" \
"One reader and one writer tasklet per client, a room actor in the middle; a
few hundred client tasklets talk through it and we measure the latency."
  "$ex/io/chat_demo"
fi

printf '\nThat was weft. `make test` runs the test suite; `make bench` the benchmarks.\n'
