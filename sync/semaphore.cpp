#include "sync/semaphore.hpp"

#include "sched/errors.hpp"

namespace weft {

void Semaphore::acquire(Timeout timeout) {
  if (try_acquire()) return;
  const Deadline d = Deadline::from(timeout);
  Waiter me;
  WaitList::Place place;  // woken without a unit: wait again in turn
  for (;;) {
    const Wake w = waiters_.wait(d, place, &me, WaitKind::semaphore, this);
    if (me.granted) {  // release() gave us its unit
      if (w == Wake::killed) {
        release();  // we die before using it: give it on
        throw TaskletExit{};
      }
      return;
    }
    if (w == Wake::killed) throw TaskletExit{};
    if (w == Wake::timed_out) throw_timeout(d, "Semaphore::acquire");
    // Woken in place of a waiter killed after it was handed a unit.
    if (count_ > 0) {
      --count_;
      return;
    }
  }
}

bool Semaphore::try_acquire() noexcept {
  if (count_ == 0 || !waiters_.empty()) return false;
  --count_;
  return true;
}

void Semaphore::release() noexcept {
  if (auto* w = static_cast<Waiter*>(waiters_.front_data())) {
    w->granted = true;
    waiters_.notify_one();
  } else {
    ++count_;
  }
}

}  // namespace weft
