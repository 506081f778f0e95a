#pragma once
// The dump: every live tasklet of the loop, as a tree, with what each one
// waits on. What a user reaches for first when a program hangs (also on
// SIGQUIT, see DispatchOptions::dump_on_sigquit, and from gdb, see
// docs/observe.md).
//
//   weft dump: 4 tasklets: 1 running, 0 runnable, 3 parked (1 sleep, 1 join, 1 receive)
//   #1 'main' running; stack 3 KiB of 64 KiB, 8 KiB touched
//     #2 'ticker' parked: sleep; for 12 ms; deadline in 988 ms; stack 1 KiB of 64 KiB, ...
//     #3 'waiter' parked: join #4 'worker'; for 2 ms; no deadline; mailbox 0; ...
//       #4 'worker' parked: receive; for 2 ms; no deadline; mailbox 0; no stack (resting)
//
// Each line: id, name, state (running, runnable, created: not started yet,
// parked: what it waits on and the target), then after "; " how long it has
// waited, its deadline, its mailbox length and its stack use. Loop thread only.

#include "weft/sched/config.hpp"

#include <cstddef>
#include <iosfwd>
#include <string>

namespace weft {

struct DumpOptions {
  // Each tasklet's call stack (parked ones from their saved registers; see
  // docs/observe.md): needs libunwind, says so when it is missing.
  bool backtraces = false;
  // At most this many tasklets are listed (the summary line counts them all).
  std::size_t limit = 1000;
};

// Writes the dump of the current loop to `out`. Throws std::logic_error
// outside dispatch().
void dump(std::ostream& out, const DumpOptions& options = {});

// The dump as a string.
std::string dump_string(const DumpOptions& options = {});

}  // namespace weft
