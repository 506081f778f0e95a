#pragma once
// The thread-safe door into a loop: a mutex-guarded queue of functions and the
// poller's cross-thread wake-up. Shared (shared_ptr) between the loop and every
// LoopRef, so posting after the loop has ended is safe and returns false.

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "weft/sched/detail/loop_group.hpp"
#include "weft/sched/detail/poller.hpp"

namespace weft::detail {

struct Remote {
  std::mutex mu;
  std::vector<std::function<void()>> queue;  // guarded by mu
  Poller* poller = nullptr;                  // guarded by mu; nullptr once the loop has ended
  LoopGroup* group = nullptr;                // the loop's group (dispatch_loops), set before it runs
  std::size_t index = 0;                     // the loop's index in it (set with group)

  // Queues f to run on the loop; false (f dropped) when the loop has ended.
  bool post(std::function<void()> f) {
    std::lock_guard<std::mutex> lock(mu);
    if (poller == nullptr) return false;
    if (group != nullptr) group->take();  // work in flight (loop_group.hpp)
    bool wake = queue.empty();
    queue.push_back(std::move(f));
    if (wake) poller->wakeup();
    return true;
  }
};

}  // namespace weft::detail
