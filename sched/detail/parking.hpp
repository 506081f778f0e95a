#pragma once
// The park/unpark core, inline. park() and unpark() (sched/park.hpp) are these
// behind a call; the hottest waits (a mailbox receive, a call's reply) use them
// directly, since on a message round trip every call and return around the
// two context switches shows (see docs/sched.md, "The message path").

#include "sched/detail/loop.hpp"
#include "sched/park.hpp"

namespace weft::detail {

// Fires when a parked fiber's deadline passes (park.cpp).
void on_park_deadline(TimerNode& n) noexcept;

// The running tasklet's fiber, or nullptr outside a tasklet.
inline Fiber* running_tasklet() noexcept {
  Loop* loop = tls_loop;
  return loop != nullptr && loop->in_tasklet() ? loop->running() : nullptr;
}

// Deadline::from(t) for the running fiber `self`, without looking it up again
// when neither t nor an enclosing scope bounds the wait.
inline Deadline deadline_for(Timeout t, const Fiber& self) {
  if (t.kind() != Timeout::Kind::after && self.scope_deadline == kNever) return Deadline::never();
  return Deadline::from(t);
}

// park(d) for `self`, the running fiber of `loop`.
inline Wake park_on(Loop& loop, Fiber& self, const Deadline& d) noexcept {
  if (__builtin_expect(self.kill_pending, 0) && !self.uninterruptible) {
    self.kill_pending = false;
    return Wake::killed;
  }
  if (!d.is_never()) {
    if (d.ns() <= clock_ns()) return Wake::timed_out;
    self.timer.fire = on_park_deadline;
    loop.timers().arm(self.timer, d.ns());
  }
  self.state = FiberState::parked;
  self.wake = Wake::none;
  loop.switch_out();
  loop.timers().disarm(self.timer);
  return self.wake;
}

// unpark(f, why, first) on `loop` (f's loop, the running one).
inline void unpark_on(Loop& loop, Fiber& f, Wake why, bool first) noexcept {
  if (f.state != FiberState::parked) return;
  loop.timers().disarm(f.timer);
  f.wake = why;
  loop.make_runnable(f, first);
}

}  // namespace weft::detail
