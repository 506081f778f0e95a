#pragma once
// Semaphore: a count of units; acquire() takes one, parking while there are
// none, release() gives one back, handing it to the oldest waiter.
//
//   weft::Semaphore slots(4);                    // at most 4 at a time
//   slots.acquire();  ...  slots.release();      // or std::lock_guard
//
// A waiter handed a unit but killed before it runs gives it on, so no unit is
// ever lost to a dead waiter. Unlike Lock, a unit has no owner: any tasklet
// (or loop callback) may release. Loop-thread only.

#include <cstddef>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

class Semaphore {
 public:
  // A semaphore with `count` free units.
  explicit Semaphore(std::size_t count) noexcept : count_(count) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Takes a unit, parking until one is free. Throws TimeoutError when
  // `timeout` passes first and TaskletExit when killed (holding none either
  // way). Parking needs a tasklet (NotInTasklet otherwise).
  void acquire(Timeout timeout = weft::current);
  // Takes a unit if one is free and nobody waits; never parks.
  bool try_acquire() noexcept;
  // Gives a unit back (to the oldest waiter, if any).
  void release() noexcept;

  // Free units.
  std::size_t value() const noexcept { return count_; }
  // How many tasklets wait for a unit.
  std::size_t waiting() const noexcept { return waiters_.size(); }

  // The standard Lockable names, for std::lock_guard / std::unique_lock.
  void lock() { acquire(); }
  bool try_lock() noexcept { return try_acquire(); }
  void unlock() noexcept { release(); }

 private:
  struct Waiter {
    bool granted = false;
  };
  std::size_t count_;
  WaitList waiters_;  // data: Waiter*
};

}  // namespace weft
