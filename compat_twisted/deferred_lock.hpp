#pragma once
// DeferredLock: a lock for Deferred-based code (twisted.internet.defer.DeferredLock).

#include <memory>
#include <vector>

#include "weft/compat_twisted/concurrency_primitive.hpp"

namespace weft::twisted {

class DeferredLock : public ConcurrencyPrimitive {
 public:
  // An unlocked lock.
  DeferredLock();
  // Waiting acquires never fire once the lock is gone.
  ~DeferredLock() override;

  // Fires with this lock (a DeferredLock*) at once when free, else when every
  // earlier acquirer has released it (FIFO). cancel() of a waiting acquire
  // removes it (CancelledError); after acquisition cancel() does nothing.
  Deferred acquire() override;
  // Unlocks, or hands the lock straight to the oldest waiter (it stays
  // locked). Throws std::logic_error when not locked.
  void release() override;
  // True while held.
  bool locked() const noexcept;
  // The acquires waiting, oldest first.
  const std::vector<Deferred>& waiting() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> s_;
};

}  // namespace weft::twisted
