#include "sched/timer.hpp"

#include <stdexcept>

#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"
#include "sched/log.hpp"

namespace weft {

Timer::Timer(std::chrono::nanoseconds delay, std::function<void()> f,
             std::chrono::nanoseconds repeat) {
  start(delay, std::move(f), repeat);
}

Timer::~Timer() { cancel(); }

void Timer::start(std::chrono::nanoseconds delay, std::function<void()> f,
                  std::chrono::nanoseconds repeat) {
  if (!f) throw std::invalid_argument("weft: Timer::start needs a callback");
  detail::Loop& loop = detail::require_loop("a Timer");
  cancel();
  loop_ = &loop;
  fn_ = std::move(f);
  repeat_ = repeat;
  arm(delay);
}

void Timer::reset(std::chrono::nanoseconds delay) {
  if (!fn_) throw std::logic_error("weft: Timer::reset on a timer that was never started");
  cancel();
  loop_ = &detail::require_loop("a Timer");
  arm(delay);
}

void Timer::arm(std::chrono::nanoseconds delay) {
  auto* loop = static_cast<detail::Loop*>(loop_);
  std::int64_t d = delay.count() < 0 ? 0 : delay.count();
  node_.fire = &Timer::on_fire;
  node_.owner = this;
  loop->timers().arm(node_, detail::clock_ns() + d);
  ++loop->counters().live_watchers;
}

void Timer::cancel() noexcept {
  if (!node_.armed()) return;
  auto* loop = static_cast<detail::Loop*>(loop_);
  loop->timers().disarm(node_);
  --loop->counters().live_watchers;
}

std::chrono::steady_clock::time_point Timer::when() const noexcept {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(node_.deadline));
}

void Timer::on_fire(detail::TimerNode& n) noexcept {
  Timer* self = static_cast<Node&>(n).owner;
  auto* loop = static_cast<detail::Loop*>(self->loop_);
  --loop->counters().live_watchers;  // popped from the heap: no longer armed
  if (self->repeat_.count() > 0) self->arm(self->repeat_);
  // The callback may cancel, re-arm or destroy the timer: copy it first.
  std::function<void()> fn = self->fn_;
  try {
    fn();
  } catch (...) {
    log(LogLevel::error, "exception escaped a Timer callback: " + describe_current_exception());
  }
}

}  // namespace weft
