#pragma once
// Event: a flag tasklets can wait for (threading.Event for tasklets).
//
//   weft::Event ready;
//   ready.wait(5.0);      // in one tasklet
//   ready.set();          // in another: wakes every waiter
//
// Loop-thread only; wait() must be called from a tasklet unless the event is set.

#include <cstddef>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

class Event {
 public:
  // A cleared event.
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Sets the flag and wakes every waiter (a waiter woken by it returns even if
  // the flag is cleared again, or the event destroyed, before it runs).
  void set() noexcept;
  // Clears the flag.
  void clear() noexcept { set_ = false; }
  // True while the flag is set.
  bool is_set() const noexcept { return set_; }
  // Returns at once when the flag is set, else parks until set() is called.
  // Throws TimeoutError when `timeout` passes first, TaskletExit when killed.
  void wait(Timeout timeout = weft::current);
  // How many tasklets wait.
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  struct Waiter {
    bool fired = false;  // set() woke it (so it need not look at the event again)
  };
  bool set_ = false;
  WaitList waiters_;  // data: Waiter*
};

}  // namespace weft
