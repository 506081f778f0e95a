#pragma once
// A callback on the loop after a delay, optionally repeating.

#include "weft/sched/config.hpp"

#include <chrono>
#include <functional>

#include "weft/sched/detail/timer_heap.hpp"

namespace weft {

// RAII timer. The callback runs on the loop itself, not in a tasklet: it may
// spawn tasklets, wake them or post, but must not block (a blocking call there
// throws NotInTasklet). An exception escaping it is logged. Loop thread only;
// not copyable or movable (the loop holds its address while it is armed).
class Timer {
 public:
  Timer() noexcept = default;
  // Starts at once (see start()).
  Timer(std::chrono::nanoseconds delay, std::function<void()> f,
        std::chrono::nanoseconds repeat = std::chrono::nanoseconds(0));
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Arms the timer: f runs after `delay`, then every `repeat` when it is
  // positive. Re-arming replaces the previous schedule and callback. Negative
  // delays count as zero. Must be called on a loop thread.
  void start(std::chrono::nanoseconds delay, std::function<void()> f,
             std::chrono::nanoseconds repeat = std::chrono::nanoseconds(0));
  // Moves the next expiry to `delay` from now, keeping callback and repeat.
  // Throws std::logic_error when the timer has no callback.
  void reset(std::chrono::nanoseconds delay);
  // Disarms; the callback will not run (unless it is running right now).
  void cancel() noexcept;
  bool active() const noexcept { return node_.armed(); }
  // When it fires next (meaningful only while active()).
  std::chrono::steady_clock::time_point when() const noexcept;

 private:
  struct Node : detail::TimerNode {
    Timer* owner = nullptr;
  };
  static void on_fire(detail::TimerNode& n) noexcept;
  void arm(std::chrono::nanoseconds delay);

  Node node_;
  std::function<void()> fn_;
  std::chrono::nanoseconds repeat_{0};
  void* loop_ = nullptr;  // the loop it is armed on
};

}  // namespace weft
