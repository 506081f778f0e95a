#include "compat_twisted/deferred_lock.hpp"

#include <algorithm>
#include <stdexcept>

namespace weft::twisted {

struct DeferredLock::State {
  bool locked = false;
  std::vector<Deferred> waiting;
};

DeferredLock::DeferredLock() : s_(std::make_shared<State>()) {}

DeferredLock::~DeferredLock() = default;

Deferred DeferredLock::acquire() {
  std::weak_ptr<State> weak = s_;
  Deferred d([weak](Deferred& self) {
    if (std::shared_ptr<State> s = weak.lock()) {
      auto it = std::find(s->waiting.begin(), s->waiting.end(), self);
      if (it != s->waiting.end()) s->waiting.erase(it);
    }
  });
  if (s_->locked) {
    s_->waiting.push_back(d);
  } else {
    s_->locked = true;
    d.callback(this);
  }
  return d;
}

void DeferredLock::release() {
  if (!s_->locked) throw std::logic_error("weft::twisted: tried to release an unlocked DeferredLock");
  s_->locked = false;
  if (!s_->waiting.empty()) {
    s_->locked = true;
    Deferred d = s_->waiting.front();
    s_->waiting.erase(s_->waiting.begin());
    d.callback(this);
  }
}

bool DeferredLock::locked() const noexcept { return s_->locked; }

const std::vector<Deferred>& DeferredLock::waiting() const noexcept { return s_->waiting; }

}  // namespace weft::twisted
