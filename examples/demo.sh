#!/usr/bin/env bash
# `make demo`: a short showcase of weft, narrated for a newcomer. Each section
# names the example it runs, so that the code behind what is printed can be
# read next. Headings are bold only on a terminal (no escape codes in a pipe
# or a file, nor with NO_COLOR set).
set -euo pipefail
build=${1:-build}
ex="$build/examples"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
  bold=$'\033[1m' plain=$'\033[0m'
else
  bold='' plain=''
fi

# say TITLE SOURCE TEXT: a section heading, the example's source file, what it shows.
say() { printf '\n%s== %s%s\n(%s)\n%s\n\n' "$bold" "$1" "$plain" "$2" "$3"; }
run_if() {  # runs an example when it was built (its module may be optional)
  if [ -x "$1" ]; then "$@"; else echo "  ($1 is not built here)"; fi
}

say "1. A tree of tasklets" "examples/core/hello.cpp" \
"Tasklets are green threads. Each has a name and a parent: main spawns two
teams, each team spawns two workers, and tree() walks the result."
run_if "$ex/core/hello"

say "2. Time: later, interval, rate and deadlines" "examples/core/timers.cpp" \
"Helpers run a callable later, every period, or at a steady rate; a deadline
scope bounds every blocking call inside it."
run_if "$ex/core/timers"

say "3. Skynet: a million tasklets" "examples/core/skynet.cpp" \
"Every node spawns 10 children and sums their results, down to 1,000,000
leaves. Each tasklet gets its own stack, taken from a pool when it first runs."
run_if "$ex/core/skynet"

if [ -x "$ex/mailbox/actors" ]; then
  say "4. Actors talking through mailboxes" "examples/mailbox/actors.cpp" \
"Account actors and tellers exchange messages by call/reply; a supervisor
restarts an actor that fails."
  "$ex/mailbox/actors"
fi

if [ -x "$ex/twisted_port/port_showcase" ]; then
  say "5. Twisted code, ported line by line" "examples/twisted_port/port_showcase.cpp" \
"Deferreds, DeferredList and a Cooperator run on weft's tasklets. The fetches
are simulated: each one is a deferLater of 50-250 ms standing in for the
network, and one URL is made to fail."
  "$ex/twisted_port/port_showcase"
fi

if [ -x "$ex/io/chat_demo" ]; then
  say "6. A chat server on loopback" "examples/io/chat_demo.cpp, examples/io/chat_room.cpp" \
"One reader and one writer tasklet per client, a room actor in the middle; a
few hundred client tasklets talk through it over real sockets and we measure
the latency. The clients are paced: each sends a message about every 2 s (so
the figures are latencies at that load, not a throughput test), and one client
never reads, to show the room dropping it."
  "$ex/io/chat_demo"
fi

printf '\nThat was weft. `make test` runs the test suite; `make bench` the benchmarks.\n'
