#include "compat_twisted/clock.hpp"

namespace weft::twisted {

Clock::Clock() = default;

Clock::~Clock() = default;

double Clock::seconds() const { return rightNow_; }

std::vector<DelayedCall> Clock::getDelayedCalls() const { return calls_.snapshot(); }

DelayedCall Clock::scheduleCall(double delay, std::function<void()> f) {
  // Twisted's Clock ignores resets for ordering until its next sort.
  return calls_.add(rightNow_ + delay, std::move(f), {}, [this] { return rightNow_; });
}

void Clock::advance(double amount) {
  rightNow_ += amount;
  while (std::optional<DelayedCall> call = calls_.front()) {
    if (call->getTime() > rightNow_) break;
    calls_.pop_front();
    call->invoke();
  }
}

void Clock::pump(const std::vector<double>& timings) {
  for (double amount : timings) advance(amount);
}

}  // namespace weft::twisted
