#include "sched/broadcast_list.hpp"

#include "sched/extension.hpp"

namespace weft {

Wake BroadcastList::wait(const Deadline& d, WaitKind kind, const void* on) noexcept {
  detail::Loop* loop = detail::current_loop();
  if (loop == nullptr || !loop->in_tasklet()) {
    return park(d, kind, on);  // which reports the call outside a tasklet
  }
  if (first_ != nullptr || !rest_.empty()) return rest_.wait(d, kind, on);
  detail::Fiber* self = loop->running();
  first_ = self;
  const Wake w = detail::park_on(*loop, *self, d, kind, on);
  if (first_ == self) first_ = nullptr;  // not notified: timed out or killed
  return w;
}

std::size_t BroadcastList::notify_all(bool oldest_next) noexcept {
  std::size_t woken = 0;
  if (detail::Fiber* f = first_) {
    first_ = nullptr;  // tells the waiter it was notified (see wait)
    detail::unpark_on(*detail::current_loop(), *f, Wake::ready, oldest_next);
    oldest_next = false;
    woken = 1;
  }
  if (__builtin_expect(rest_.empty(), 1)) return woken;
  if (oldest_next) woken += rest_.notify_one(true) ? 1 : 0;
  return woken + rest_.notify_all();
}

}  // namespace weft
