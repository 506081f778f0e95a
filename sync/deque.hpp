#pragma once
// Deque<T>: a double-ended queue whose pops can wait (Concurrence's Deque).
//
//   weft::Deque<Job> jobs;
//   jobs.push_back(job);                 // never blocks
//   Job j = jobs.pop_front(2.0);         // parks until there is one (or 2 s)
//
// A push wakes the oldest parked popper (it runs in its turn). Items stay in the deque until a running popper takes them, so a popper
// killed or timed out at any moment loses none. Loop-thread only.

#include <cstddef>
#include <deque>
#include <optional>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

template <class T>
class Deque {
 public:
  // An empty deque.
  Deque() = default;
  Deque(const Deque&) = delete;
  Deque& operator=(const Deque&) = delete;

  // Appends at the back (Concurrence's append) and wakes a parked popper.
  void push_back(T value);
  // Appends at the front (appendleft) and wakes a parked popper.
  void push_front(T value);

  // Removes and returns the first item (popleft), parking until there is one.
  // Throws TimeoutError when `timeout` passes first, TaskletExit when killed;
  // parking needs a tasklet (NotInTasklet otherwise).
  T pop_front(Timeout timeout = weft::current);
  // Removes and returns the last item (pop); otherwise as pop_front.
  T pop_back(Timeout timeout = weft::current);
  // The first / last item, or nothing when empty. Never parks.
  std::optional<T> try_pop_front();
  std::optional<T> try_pop_back();

  // How many items it holds.
  std::size_t size() const noexcept { return items_.size(); }
  // True when it holds none.
  bool empty() const noexcept { return items_.empty(); }
  // How many tasklets are parked in a pop.
  std::size_t waiting() const noexcept { return poppers_.size(); }

 private:
  void wait_for_item(Timeout timeout, const char* what);

  std::deque<T> items_;
  WaitList poppers_;
};

}  // namespace weft

#include "weft/sync/deque_impl.hpp"
