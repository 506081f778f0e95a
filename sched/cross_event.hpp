#pragma once
// Extension API: a one-shot event set from any thread and waited for by
// tasklets of any loop — how work that crosses loops or threads (spawn_on,
// a call through an Address) hands its result back.
//
// set() wakes each waiting tasklet through its own loop's door (LoopRef::post),
// so the waiter resumes on its own thread; what set() published before it is
// visible to the waiter after wait() returns.

#include "weft/sched/config.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "weft/sched/loop.hpp"
#include "weft/sched/park.hpp"

namespace weft {

class CrossEvent {
 public:
  CrossEvent() = default;
  CrossEvent(const CrossEvent&) = delete;
  CrossEvent& operator=(const CrossEvent&) = delete;

  // Sets the event and wakes every waiter (the first call; later ones do
  // nothing). Thread-safe, never blocks for long (a mutex held briefly).
  void set() noexcept;
  // True once set() has been called. Thread-safe.
  bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }
  // Parks the current tasklet until the event is set (Wake::ready) or the
  // deadline passes (Wake::timed_out) or it is killed (Wake::killed). Returns
  // at once when already set. Must be called in a tasklet.
  Wake wait(const Deadline& d);

 private:
  struct Waiter;
  std::atomic<bool> set_{false};
  std::mutex mu_;
  std::vector<std::shared_ptr<Waiter>> waiters_;  // guarded by mu_
};

}  // namespace weft
