#pragma once
// Extension API: tasklets waiting for one event that wakes them all at once
// (an fd's readiness, a tasklet's end).
//
// Its first waiter waits in the list itself, not in a WaitList node on its own
// stack: most such lists have one waiter at a time (a socket's reader, a
// tasklet's joiner), and a wake-up then touches only the list and the fiber.
// Later waiters queue behind it in a WaitList. A wake-up that reaches a waiter
// which then times out or is killed is not passed on: every waiter was woken.

#include "weft/sched/config.hpp"

#include <cstddef>

#include "weft/sched/park.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

class BroadcastList {
 public:
  BroadcastList() = default;
  BroadcastList(const BroadcastList&) = delete;
  BroadcastList& operator=(const BroadcastList&) = delete;
  // Precondition: no waiters (as for WaitList).
  ~BroadcastList() = default;

  // Parks the current tasklet until notify_all() or the deadline; says what
  // it waits on (see WaitKind). Returns Wake::ready when notified, otherwise
  // timed_out or killed (never throws). Must be called in a tasklet.
  Wake wait(const Deadline& d, WaitKind kind, const void* on) noexcept;
  // Wakes every waiter, in the order they came; the oldest runs next when
  // `oldest_next`, the others later in run-queue order. Returns how many.
  std::size_t notify_all(bool oldest_next = false) noexcept;

  bool empty() const noexcept { return first_ == nullptr && rest_.empty(); }
  std::size_t size() const noexcept { return (first_ != nullptr ? 1 : 0) + rest_.size(); }

 private:
  // The oldest waiter, when it came while the list was empty (it is then
  // older than everyone in rest_; a waiter that finds first_ free but rest_
  // not empty joins rest_, behind them).
  detail::Fiber* first_ = nullptr;
  WaitList rest_;
};

}  // namespace weft
