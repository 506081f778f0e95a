#include "sync/lock.hpp"

#include <stdexcept>

#include "sched/errors.hpp"

namespace weft {

void Lock::acquire(Timeout timeout) {
  detail::Fiber& self = current_fiber("Lock::acquire()");
  if (owner_ == &self) {
    throw std::logic_error("weft: Lock::acquire() by the tasklet that holds it (a Lock is not recursive)");
  }
  if (owner_ == nullptr && waiters_.empty()) {
    owner_ = &self;
    return;
  }
  acquire_until(Deadline::from(timeout));
}

void Lock::acquire_until(const Deadline& d) {
  detail::Fiber& self = current_fiber("Lock::acquire()");
  if (owner_ == nullptr && waiters_.empty()) {
    owner_ = &self;
    return;
  }
  Waiter me{&self};
  WaitList::Place place;  // woken but not handed the lock: wait again in turn
  for (;;) {
    const Wake w = waiters_.wait(d, place, &me, WaitKind::lock, this);
    if (me.granted) {  // release() made us the owner
      if (w == Wake::killed) {
        release();  // handed over, but we die before using it: give it on
        throw TaskletExit{};
      }
      return;
    }
    if (w == Wake::killed) throw TaskletExit{};
    if (w == Wake::timed_out) throw_timeout(d, "Lock::acquire");
    // Woken in place of a waiter killed after it was handed the lock.
    if (owner_ == nullptr) {
      owner_ = &self;
      return;
    }
  }
}

bool Lock::try_acquire() {
  detail::Fiber& self = current_fiber("Lock::try_acquire()");
  if (owner_ != nullptr || !waiters_.empty()) return false;
  owner_ = &self;
  return true;
}

void Lock::release() {
  detail::Fiber& self = current_fiber("Lock::release()");
  if (owner_ != &self) {
    throw std::logic_error(owner_ == nullptr
                               ? "weft: Lock::release() of a lock nobody holds"
                               : "weft: Lock::release() by a tasklet that does not hold it");
  }
  if (auto* w = static_cast<Waiter*>(waiters_.front_data())) {
    owner_ = w->fiber;
    w->granted = true;
    waiters_.notify_one();
  } else {
    owner_ = nullptr;
  }
}

bool Lock::held() const { return owner_ == &current_fiber("Lock::held()"); }

}  // namespace weft
