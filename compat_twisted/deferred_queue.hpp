#pragma once
// DeferredQueue: a queue whose get() returns a Deferred
// (twisted.internet.defer.DeferredQueue).

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "weft/compat_twisted/deferred.hpp"

namespace weft::twisted {

class DeferredQueue {
 public:
  // At most `size` pending items (none: unbounded) and `backlog` waiting
  // get()s (none: unbounded).
  explicit DeferredQueue(std::optional<std::size_t> size = std::nullopt,
                         std::optional<std::size_t> backlog = std::nullopt);
  // Waiting gets never fire once the queue is gone.
  ~DeferredQueue();
  DeferredQueue(const DeferredQueue&) = delete;
  DeferredQueue& operator=(const DeferredQueue&) = delete;

  // Gives `item` to the oldest waiting get() (even when size is 0), else
  // queues it. Throws QueueOverflow when `size` items are pending, and
  // std::invalid_argument for a Deferred.
  void put(Result item);
  // The oldest pending item (an already-fired Deferred), or a Deferred that
  // fires with the next put(). Throws QueueUnderflow when `backlog` gets are
  // waiting. cancel() of a waiting get removes it (CancelledError) and frees
  // its backlog slot.
  Deferred get();

  // The bound on pending items (Twisted's `size` attribute).
  std::optional<std::size_t> size() const noexcept;
  // The bound on waiting gets.
  std::optional<std::size_t> backlog() const noexcept;
  // The items not yet taken, oldest first.
  const std::vector<Result>& pending() const noexcept;
  // The gets waiting for an item, oldest first.
  const std::vector<Deferred>& waiting() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> s_;
};

}  // namespace weft::twisted
