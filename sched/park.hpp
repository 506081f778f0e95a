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

namespace detail {
struct Fiber;
}

// Why a park ended.
enum class Wake : std::uint8_t {
  none,       // not woken yet
  ready,      // unpark(): the thing waited for happened (or may have: re-check)
  timed_out,  // the deadline passed
  killed,     // Tasklet::kill(): the caller must unwind (throw TaskletExit)
};

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
  Deadline(std::int64_t ns, std::int64_t span, bool scope) noexcept
      : ns_(ns), span_(span), from_scope_(scope) {}
  std::int64_t ns_;
  std::int64_t span_;
  bool from_scope_;
};

// Parks the current tasklet until unpark() or the deadline. Never throws; the
// caller turns the reason into an exception (see check_wake). A pending kill is
// delivered at once (Wake::killed) without parking; an already-passed deadline
// returns Wake::timed_out without parking. Must be called in a tasklet.
Wake park(const Deadline& d) noexcept;

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
