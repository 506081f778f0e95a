#include "compat_twisted/deferred_semaphore.hpp"

#include <algorithm>
#include <stdexcept>

namespace weft::twisted {

struct DeferredSemaphore::State {
  int tokens = 0;
  int limit = 0;
  std::vector<Deferred> waiting;
};

DeferredSemaphore::DeferredSemaphore(int tokens) : s_(std::make_shared<State>()) {
  if (tokens < 1) {
    throw std::invalid_argument("weft::twisted: DeferredSemaphore requires tokens >= 1, got " +
                                std::to_string(tokens));
  }
  s_->tokens = tokens;
  s_->limit = tokens;
}

DeferredSemaphore::~DeferredSemaphore() = default;

Deferred DeferredSemaphore::acquire() {
  std::weak_ptr<State> weak = s_;
  Deferred d([weak](Deferred& self) {
    if (std::shared_ptr<State> s = weak.lock()) {
      auto it = std::find(s->waiting.begin(), s->waiting.end(), self);
      if (it != s->waiting.end()) s->waiting.erase(it);
    }
  });
  if (s_->tokens == 0) {
    s_->waiting.push_back(d);
  } else {
    s_->tokens -= 1;
    d.callback(this);
  }
  return d;
}

void DeferredSemaphore::release() {
  if (s_->tokens >= s_->limit) {
    throw std::logic_error("weft::twisted: DeferredSemaphore released more times than acquired");
  }
  s_->tokens += 1;
  if (!s_->waiting.empty()) {
    s_->tokens -= 1;
    Deferred d = s_->waiting.front();
    s_->waiting.erase(s_->waiting.begin());
    d.callback(this);
  }
}

int DeferredSemaphore::tokens() const noexcept { return s_->tokens; }

int DeferredSemaphore::limit() const noexcept { return s_->limit; }

const std::vector<Deferred>& DeferredSemaphore::waiting() const noexcept { return s_->waiting; }

}  // namespace weft::twisted
