#pragma once
// Lock: a mutual-exclusion lock for tasklets, owned by the tasklet that holds
// it, handed to waiters in the order they came.
//
//   weft::Lock lock;
//   {
//     std::lock_guard<weft::Lock> hold(lock);    // or lock.acquire(2.0) ... release()
//     ...                                        // may park while holding it
//   }
//
// release() hands the lock straight to the oldest waiter. A waiter that is
// handed the lock but killed before it runs gives it on (to the next waiter,
// or back to free), so a lock never stays held by a dead tasklet that was
// waiting for it. (One that dies while holding it must release it on the way
// out: hold it with RAII, as above.) Not recursive. Loop-thread only; every
// member but locked() and waiting() must be called from a tasklet.

#include <cstddef>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

class Condition;

class Lock {
 public:
  // An unlocked lock.
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Takes the lock, parking until it is free. Throws TimeoutError when
  // `timeout` passes first, TaskletExit when killed (not holding it either
  // way), and std::logic_error when the caller already holds it.
  void acquire(Timeout timeout = weft::current);
  // Takes the lock if it is free and nobody waits for it; never parks.
  bool try_acquire();
  // Releases the lock, handing it to the oldest waiter. Throws
  // std::logic_error when the caller does not hold it.
  void release();

  // True while some tasklet holds it.
  bool locked() const noexcept { return owner_ != nullptr; }
  // True when the calling tasklet holds it.
  bool held() const;
  // How many tasklets wait for it.
  std::size_t waiting() const noexcept { return waiters_.size(); }

  // The standard Lockable names, for std::lock_guard / std::unique_lock.
  void lock() { acquire(); }
  bool try_lock() { return try_acquire(); }
  void unlock() { release(); }

 private:
  friend class Condition;
  struct Waiter {
    detail::Fiber* fiber;
    bool granted = false;
  };
  void acquire_until(const Deadline& d);

  detail::Fiber* owner_ = nullptr;
  WaitList waiters_;  // data: Waiter*
};

}  // namespace weft
