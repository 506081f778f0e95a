#include "sync/event.hpp"

#include "sched/errors.hpp"

namespace weft {

void Event::set() noexcept {
  if (set_) return;
  set_ = true;
  while (auto* w = static_cast<Waiter*>(waiters_.front_data())) {
    w->fired = true;
    waiters_.notify_one();
  }
}

void Event::wait(Timeout timeout) {
  if (set_) return;
  const Deadline d = Deadline::from(timeout);
  Waiter me;
  for (;;) {
    WaitList::Place place;  // a fresh one each time, as wait(d, data) takes
    const Wake w = waiters_.wait(d, place, &me, WaitKind::event, this);
    if (w == Wake::killed) throw TaskletExit{};
    if (me.fired) return;  // without touching the event: it may be gone already
    if (set_) return;
    if (w == Wake::timed_out) throw_timeout(d, "Event wait");
  }
}

}  // namespace weft
