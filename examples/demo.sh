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

nats=$(command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null || true)
if [ -x "$ex/remote/kv" ] && [ -n "$nats" ]; then
  say "7. A key-value store across processes" "examples/remote/kv.cpp" \
"One process serves a store tasklet under the name \"kv\" on a NATS server;
other processes look the name up and send and call it as they would a local
tasklet (MessagePack on the wire, docs/remote.md)."
  dir=$(mktemp -d)
  "$nats" -a 127.0.0.1 -p -1 --ports_file_dir "$dir" >/dev/null 2>&1 &
  nats_pid=$!
  for _ in $(seq 100); do [ -s "$dir/nats-server_$nats_pid.ports" ] && break; sleep 0.05; done
  url=$(grep -o 'nats://127.0.0.1:[0-9]*' "$dir/nats-server_$nats_pid.ports" | head -n 1)
  "$ex/remote/kv" serve "$url" >/dev/null &
  kv_pid=$!
  echo "  \$ kv serve $url &"
  for _ in $(seq 100); do "$ex/remote/kv" "$url" count >/dev/null 2>&1 && break; sleep 0.05; done
  echo "  \$ kv put colour blue; kv put size XL"
  "$ex/remote/kv" "$url" put colour blue
  "$ex/remote/kv" "$url" put size XL
  echo "  \$ kv get colour    -> $("$ex/remote/kv" "$url" get colour)"
  echo "  \$ kv get weight    -> $("$ex/remote/kv" "$url" get weight)"
  echo "  \$ kv count         -> $("$ex/remote/kv" "$url" count)"
  kill "$kv_pid" "$nats_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
fi

printf '\nThat was weft. `make test` runs the test suite; `make bench` the benchmarks.\n'
