#pragma once
// Extension API: the one wait core every blocking operation is built on.
//
// The current tasklet *parks* with an optional deadline; something else *wakes*
// it (unpark) with a reason: ready, timed out, or killed. Timeouts and kill
// therefore behave identically at every kind of park. A new primitive is a few
// lines on top of WaitList (see sched/wait_list.hpp) or of park/unpark.
//
// All of it is loop-thread only and, except unpark(), tasklet-only.

#include "weft/sched/config.hpp"

#include <cstdint>
#include <string_view>

#include "weft/sched/timeout.hpp"

namespace weft {

class Deadline;

namespace detail {
struct Fiber;
// Deadline::from(t) for fiber f, inline (sched/extension.hpp).
Deadline resolve_deadline(const Fiber& f, Timeout t) noexcept;
}

// Why a park ended.
enum class Wake : std::uint8_t {
  none,       // not woken yet
  ready,      // unpark(): the thing waited for happened (or may have: re-check)
  timed_out,  // the deadline passed
  killed,     // Tasklet::kill(): the caller must unwind (throw TaskletExit)
};

// What a parked tasklet waits on, for the dump (weft::dump), the debugger
// helper and the exit diagnostics. Stored in the fiber at every park with the
// object it names (see the `on` argument of park()): a tasklet for join,
// call and send, the fd for the fd waits, the signal number for signal, the
// waited-on object's address otherwise. Kept in one byte. (docs/weft_gdb.py
// lists the enumerators in this order: add new ones at the end, there too.)
enum class WaitKind : std::uint8_t {
  other,      // a park that names no kind (a primitive outside weft)
  sleep,      // Tasklet::sleep, and helpers resting between calls
  join,       // on: the tasklet joined
  receive,    // its own mailbox
  call,       // on: the tasklet called, waiting for its reply
  send,       // on: the tasklet whose mailbox is full
  lock,       // on: the Lock (or DeferredLock)
  semaphore,  // on: the Semaphore
  condition,  // on: the Condition
  event,      // on: the Event
  channel,    // on: the Channel (send or receive)
  queue,      // on: the QueueChannel or Deque
  fd_read,    // on: the fd number
  fd_write,   // on: the fd number
  fd_io,      // on: the fd number (read or write)
  signal,     // on: the signal number
  to_thread,  // a to_thread() function running on a worker thread
  deferred,   // on: the Deferred's state (compat_twisted)
  server,     // on: the server (accept back-off, stop, join)
};

// "sleep", "join", "fd read", ...
const char* wait_kind_name(WaitKind k) noexcept;

// An fd or a signal number as the `on` of a park.
inline const void* wait_on_number(int n) noexcept {
  return reinterpret_cast<const void*>(static_cast<std::intptr_t>(n));
}

// An absolute deadline on the loop clock, resolved from a Timeout and the
// current tasklet's DeadlineScope. Remembers which of the two bound it, for the
// TimeoutError message.
class Deadline {
 public:
  // Resolves `t` against the current tasklet's scope. Must be called in a tasklet.
  static Deadline from(Timeout t);
  static Deadline never() noexcept { return Deadline(INT64_MAX, 0, false); }
  // Absolute nanoseconds on the loop clock.
  static Deadline at_ns(std::int64_t ns) noexcept { return Deadline(ns, 0, false); }

  bool is_never() const noexcept { return ns_ == INT64_MAX; }
  std::int64_t ns() const noexcept { return ns_; }
  // True when the enclosing DeadlineScope (not the call's own timeout) bound it.
  bool from_scope() const noexcept { return from_scope_; }
  // The relative length the deadline was made from (for messages), ns.
  std::int64_t span_ns() const noexcept { return span_; }

 private:
  friend Deadline detail::resolve_deadline(const detail::Fiber& f, Timeout t) noexcept;
  Deadline(std::int64_t ns, std::int64_t span, bool scope) noexcept
      : ns_(ns), span_(span), from_scope_(scope) {}
  std::int64_t ns_;
  std::int64_t span_;
  bool from_scope_;
};

// Parks the current tasklet until unpark() or the deadline. Never throws; the
// caller turns the reason into an exception (see check_wake). A pending kill is
// delivered at once (Wake::killed) without parking; an already-passed deadline
// returns Wake::timed_out without parking. `kind` and `on` say what it waits
// on (see WaitKind). Must be called in a tasklet.
Wake park(const Deadline& d, WaitKind kind = WaitKind::other, const void* on = nullptr) noexcept;

// Makes a parked fiber runnable with reason `why` (appended to the run queue,
// or put first when `first` is true). No-op when the fiber is not parked.
// Loop thread only; may be called from anywhere on it (tasklets, timers, posts).
void unpark(detail::Fiber& f, Wake why = Wake::ready, bool first = false) noexcept;

// The fiber of the running tasklet. Throws NotInTasklet (naming `what`) when
// called from outside a tasklet.
detail::Fiber& current_fiber(std::string_view what);

// While alive, a kill() of the current tasklet is deferred instead of breaking
// its parks: it is delivered (TaskletExit) at the first park after the shield
// ends. For waits that must complete, such as a destructor waiting for its
// tasklets. Must be created in a tasklet; nests.
class KillShield {
 public:
  KillShield();
  ~KillShield();
  KillShield(const KillShield&) = delete;
  KillShield& operator=(const KillShield&) = delete;

 private:
  detail::Fiber* fiber_;
  bool saved_;
};

// Turns a park result into the standard exceptions: TaskletExit for killed,
// TimeoutError for timed_out (the message names `what` and the timeout).
// Returns normally for ready.
void check_wake(Wake w, const Deadline& d, std::string_view what);

// Throws the TimeoutError check_wake throws for `d` and `what`.
[[noreturn]] void throw_timeout(const Deadline& d, std::string_view what);

}  // namespace weft
