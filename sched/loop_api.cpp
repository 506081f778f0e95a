#include <mutex>
#include <stdexcept>

#include "sched/detail/loop.hpp"
#include "sched/detail/remote.hpp"
#include "sched/loop.hpp"

namespace weft {

namespace {

detail::Loop& loop_or_throw(const char* what) {
  detail::Loop* loop = detail::Loop::current();
  if (loop == nullptr) {
    throw std::logic_error(std::string("weft: ") + what + " needs a running loop (dispatch())");
  }
  return *loop;
}

}  // namespace

void quit(int code) { loop_or_throw("quit()").quit(code); }

LoopRef this_loop() { return LoopRef(loop_or_throw("this_loop()").remote()); }

bool LoopRef::post(std::function<void()> f) const {
  if (!remote_) return false;
  return remote_->post(std::move(f));
}

bool LoopRef::alive() const {
  if (!remote_) return false;
  std::lock_guard<std::mutex> lock(remote_->mu);
  return remote_->poller != nullptr;
}

}  // namespace weft
