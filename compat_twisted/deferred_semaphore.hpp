#pragma once
// DeferredSemaphore: a counting semaphore for Deferred-based code
// (twisted.internet.defer.DeferredSemaphore).

#include <memory>
#include <vector>

#include "weft/compat_twisted/concurrency_primitive.hpp"

namespace weft::twisted {

class DeferredSemaphore : public ConcurrencyPrimitive {
 public:
  // `tokens` holders at once. Throws std::invalid_argument when tokens < 1.
  explicit DeferredSemaphore(int tokens);
  // Waiting acquires never fire once the semaphore is gone.
  ~DeferredSemaphore() override;

  // Fires with this semaphore (a DeferredSemaphore*) at once when a token is
  // free, else in FIFO order as tokens come back. cancel() of a waiting
  // acquire removes it (CancelledError).
  Deferred acquire() override;
  // Returns a token, or hands it straight to the oldest waiter. Throws
  // std::logic_error when more are released than were acquired.
  void release() override;
  // Tokens free now.
  int tokens() const noexcept;
  // The most tokens (the constructor's argument).
  int limit() const noexcept;
  // The acquires waiting, oldest first.
  const std::vector<Deferred>& waiting() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> s_;
};

}  // namespace weft::twisted
