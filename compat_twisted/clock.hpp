#pragma once
// Clock: virtual time for deterministic tests and ports
// (twisted.internet.task.Clock). Time starts at 0.0 and moves only with
// advance(); due calls then run inside advance(), on the caller's stack.

#include "weft/sched/config.hpp"

#include <initializer_list>
#include <vector>

#include "weft/compat_twisted/detail/call_list.hpp"
#include "weft/compat_twisted/reactor_time.hpp"

namespace weft::twisted {

class Clock final : public IReactorTime {
 public:
  // A clock at time 0.0 with no calls.
  Clock();
  // Pending calls are abandoned (their handles report cancelled).
  ~Clock() override;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  // The virtual time (starts at 0.0).
  double seconds() const override;
  // The pending calls in the clock's list order: earliest first, ties in
  // scheduling order (until the next sort, a reset()/delay() leaves the list
  // as it was, as in Twisted).
  std::vector<DelayedCall> getDelayedCalls() const override;
  // Moves time forward by `amount` (negative accepted) and then runs, one by
  // one, every call due at the new time, earliest first, including calls
  // scheduled meanwhile that are due. Each call sees the final time. An
  // exception from a call escapes and leaves the rest pending.
  void advance(double amount);
  // advance() for each element in turn.
  void pump(const std::vector<double>& timings);
  void pump(std::initializer_list<double> timings) { pump(std::vector<double>(timings)); }

 protected:
  // callLater (see IReactorTime).
  DelayedCall scheduleCall(double delay, std::function<void()> f) override;

 private:
  double rightNow_ = 0.0;
  detail::CallList calls_;
};

}  // namespace weft::twisted
