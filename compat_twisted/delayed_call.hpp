#pragma once
// DelayedCall: a call scheduled by IReactorTime::callLater
// (twisted.internet.base.DelayedCall / IDelayedCall). A shared handle: the
// clock keeps one, callLater returns another.

#include "weft/sched/config.hpp"

#include <functional>
#include <memory>

namespace weft::twisted {

class DelayedCall {
 public:
  // Told about this call: before a cancellation, or after a change of time.
  using Hook = std::function<void(DelayedCall&)>;

  // Twisted's constructor, for clocks and tests: `func` runs at `time`;
  // `cancel` is called before the call is cancelled, `reset` after reset() or
  // delay() moved it earlier, `seconds` tells the current time.
  DelayedCall(double time, std::function<void()> func, Hook cancel, Hook reset,
              std::function<double()> seconds);

  // When it will run: time() plus any postponement from reset()/delay().
  double getTime() const noexcept;
  // Unschedules it. Throws AlreadyCancelled / AlreadyCalled.
  void cancel();
  // Reschedules it for `secondsFromNow` from now. Throws AlreadyCancelled / AlreadyCalled.
  void reset(double secondsFromNow);
  // Postpones it by `secondsLater` (may be negative). Throws AlreadyCancelled / AlreadyCalled.
  void delay(double secondsLater);
  // Neither called nor cancelled.
  bool active() const noexcept;
  bool called() const noexcept;
  bool cancelled() const noexcept;

  // Clock tier: marks it called, runs the function and releases it.
  // Precondition: active().
  void invoke();
  // Clock tier: the base time (Twisted's .time), without postponement.
  double time() const noexcept;
  // Clock tier: called (after the Twisted `reset` hook, if any) whenever
  // getTime() changes, so an owner can tell its order is stale.
  void setTimeChangeHook(Hook h);
  // Clock tier: forgets the function and hooks and marks it cancelled (the
  // owner is going away).
  void abandon() noexcept;

  // Identity.
  friend bool operator==(const DelayedCall& a, const DelayedCall& b) noexcept {
    return a.s_ == b.s_;
  }

 private:
  struct State;
  std::shared_ptr<State> s_;
};

}  // namespace weft::twisted
