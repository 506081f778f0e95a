#include "compat_twisted/deferred_queue.hpp"

#include <algorithm>
#include <stdexcept>

#include "compat_twisted/errors.hpp"
#include "compat_twisted/maybe_deferred.hpp"

namespace weft::twisted {

struct DeferredQueue::State {
  std::vector<Deferred> waiting;
  std::vector<Result> pending;
  std::optional<std::size_t> size;
  std::optional<std::size_t> backlog;
};

DeferredQueue::DeferredQueue(std::optional<std::size_t> size, std::optional<std::size_t> backlog)
    : s_(std::make_shared<State>()) {
  s_->size = size;
  s_->backlog = backlog;
}

DeferredQueue::~DeferredQueue() = default;

void DeferredQueue::put(Result item) {
  if (item.isDeferred()) {
    throw std::invalid_argument("weft::twisted: DeferredQueue::put() of a Deferred (put its result)");
  }
  if (!s_->waiting.empty()) {
    Deferred d = s_->waiting.front();
    s_->waiting.erase(s_->waiting.begin());
    d.callback(std::move(item));
  } else if (!s_->size || s_->pending.size() < *s_->size) {
    s_->pending.push_back(std::move(item));
  } else {
    throw QueueOverflow();
  }
}

Deferred DeferredQueue::get() {
  if (!s_->pending.empty()) {
    Result item = std::move(s_->pending.front());
    s_->pending.erase(s_->pending.begin());
    Deferred d;
    d.callback(std::move(item));
    return d;
  }
  if (!s_->backlog || s_->waiting.size() < *s_->backlog) {
    std::weak_ptr<State> weak = s_;
    Deferred d([weak](Deferred& self) {
      if (std::shared_ptr<State> s = weak.lock()) {
        auto it = std::find(s->waiting.begin(), s->waiting.end(), self);
        if (it != s->waiting.end()) s->waiting.erase(it);
      }
    });
    s_->waiting.push_back(d);
    return d;
  }
  throw QueueUnderflow();
}

std::optional<std::size_t> DeferredQueue::size() const noexcept { return s_->size; }

std::optional<std::size_t> DeferredQueue::backlog() const noexcept { return s_->backlog; }

const std::vector<Result>& DeferredQueue::pending() const noexcept { return s_->pending; }

const std::vector<Deferred>& DeferredQueue::waiting() const noexcept { return s_->waiting; }

}  // namespace weft::twisted
