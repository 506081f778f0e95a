#pragma once
// Condition: tasklets wait until another notifies them (a condition variable).
//
//   weft::Lock lock;  weft::Condition changed;
//   std::lock_guard hold(lock);
//   changed.wait(lock, [&] { return !queue.empty(); }, 2.0);  // releases lock while parked
//
// Tasklets switch only where they park, so a lock is needed only when the
// state is changed across parks; the lock-free forms wait(t) and wait(pred, t)
// are the common case. A notification that reaches a waiter killed before it
// runs is passed on to the next waiter. Loop-thread only; waits must be made
// from a tasklet.

#include <concepts>
#include <cstddef>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"
#include "weft/sync/lock.hpp"

namespace weft {

class Condition {
 public:
  // A condition nobody waits on.
  Condition() = default;
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  // Parks until notified. Throws TimeoutError when `timeout` passes first,
  // TaskletExit when killed.
  void wait(Timeout timeout = weft::current);
  // Parks until pred() holds, checking it first and after each notification,
  // under one deadline. Throws as wait().
  template <std::predicate Pred>
  void wait(Pred pred, Timeout timeout = weft::current);
  // Releases `lock` (which the caller must hold: std::logic_error otherwise),
  // parks until notified, and takes the lock again before returning or
  // throwing (TimeoutError, TaskletExit): the caller always holds it after.
  void wait(Lock& lock, Timeout timeout = weft::current);
  // wait(lock) until pred() holds, checked with the lock held, under one deadline.
  template <std::predicate Pred>
  void wait(Lock& lock, Pred pred, Timeout timeout = weft::current);

  // Wakes the oldest waiter; false when there was none.
  bool notify_one() noexcept { return waiters_.notify_one(); }
  // Wakes up to n waiters, oldest first; returns how many.
  std::size_t notify(std::size_t n) noexcept;
  // Wakes every waiter; returns how many.
  std::size_t notify_all() noexcept { return waiters_.notify_all(); }
  // How many tasklets wait.
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  void wait_until(const Deadline& d);
  void wait_until(Lock& lock, const Deadline& d);

  WaitList waiters_;
};

template <std::predicate Pred>
void Condition::wait(Pred pred, Timeout timeout) {
  if (pred()) return;
  const Deadline d = Deadline::from(timeout);
  do {
    wait_until(d);
  } while (!pred());
}

template <std::predicate Pred>
void Condition::wait(Lock& lock, Pred pred, Timeout timeout) {
  if (pred()) return;
  const Deadline d = Deadline::from(timeout);
  do {
    wait_until(lock, d);
  } while (!pred());
}

}  // namespace weft
