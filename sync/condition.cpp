#include "sync/condition.hpp"

#include "sched/errors.hpp"

namespace weft {

void Condition::wait(Timeout timeout) { wait_until(Deadline::from(timeout)); }

void Condition::wait(Lock& lock, Timeout timeout) { wait_until(lock, Deadline::from(timeout)); }

void Condition::wait_until(const Deadline& d) {
  check_wake(waiters_.wait(d, WaitKind::condition, this), d, "Condition wait");
}

void Condition::wait_until(Lock& lock, const Deadline& d) {
  lock.release();  // throws std::logic_error unless the caller holds it
  const Wake w = waiters_.wait(d, WaitKind::condition, this);
  {
    // Take the lock back whatever happened; a kill meanwhile waits for it.
    KillShield shield;
    lock.acquire_until(Deadline::never());
  }
  check_wake(w, d, "Condition wait");
}

std::size_t Condition::notify(std::size_t n) noexcept {
  std::size_t woken = 0;
  while (woken < n && waiters_.notify_one()) ++woken;
  return woken;
}

}  // namespace weft
