#include "sched/cross_event.hpp"

#include <algorithm>

#include "sched/extension.hpp"

namespace weft {

// One parked tasklet. `fiber` and `waiting` are touched only on its loop's
// thread (by the waiter and by the function set() posts there).
struct CrossEvent::Waiter {
  LoopRef loop;
  detail::Fiber* fiber;
  bool waiting = true;
};

void CrossEvent::set() noexcept {
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (set_.load(std::memory_order_relaxed)) return;
    set_.store(true, std::memory_order_release);
    wake.swap(waiters_);
  }
  for (auto& w : wake) {
    try {
      w->loop.post([w] {
        if (w->waiting) unpark(*w->fiber);
      });
    } catch (...) {  // out of memory: the waiter sees the flag at its deadline
    }
  }
}

Wake CrossEvent::wait(const Deadline& d) {
  detail::Fiber& self = current_fiber("CrossEvent::wait()");
  if (is_set()) return Wake::ready;
  auto w = std::make_shared<Waiter>(Waiter{this_loop(), &self});
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (set_.load(std::memory_order_relaxed)) return Wake::ready;
    waiters_.push_back(w);
  }
  Wake why = Wake::ready;
  while (!is_set()) {
    why = park(d);
    if (why != Wake::ready) break;
  }
  w->waiting = false;
  if (why == Wake::ready || (why == Wake::timed_out && is_set())) return Wake::ready;
  std::lock_guard<std::mutex> lock(mu_);
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), w), waiters_.end());
  return why;
}

}  // namespace weft
