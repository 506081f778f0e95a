#pragma once
// LoopingCall: call a function every `interval` seconds of a clock
// (twisted.internet.task.LoopingCall).
//
//   LoopingCall lc(clock, [] { std::puts("tick"); });
//   Deferred done = lc.start(1.0);    // calls now, then at 1, 2, 3 ...
//   lc.stop();                        // `done` fires with the LoopingCall
//
// Calls happen on a grid starttime + k*interval: when a call (or the Deferred
// it returns) takes longer than an interval, the missed points are skipped,
// not replayed. Nothing is scheduled while a returned Deferred is pending. A
// failure stops the loop and fails the start() Deferred.
//
// A LoopingCall is a shared handle (copies are the same loop). The clock must
// outlive it while it runs.

#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "weft/compat_twisted/deferred.hpp"
#include "weft/compat_twisted/delayed_call.hpp"
#include "weft/compat_twisted/maybe_deferred.hpp"
#include "weft/compat_twisted/reactor_time.hpp"

namespace weft::twisted {

class LoopingCall {
 public:
  // Will call f(args...) on `clock`. f may return anything; a Deferred is
  // waited for, a Failure or an exception stops the loop.
  template <class F, class... A>
  LoopingCall(IReactorTime& clock, F&& f, A&&... args)
      : LoopingCall(clock, std::function<Deferred()>(
                               [fn = std::decay_t<F>(std::forward<F>(f)),
                                t = std::make_tuple(std::decay_t<A>(std::forward<A>(args))...)]() mutable {
                                 return std::apply([&](auto&... a) { return maybeDeferred(fn, a...); }, t);
                               })) {}
  // The core constructor: `call` runs one iteration.
  LoopingCall(IReactorTime& clock, std::function<Deferred()> call);

  // A LoopingCall that calls countCallable(n), where n is the number of
  // intervals elapsed since the previous call (1 normally; more when calls
  // were skipped; never 0: a wake-up with no full interval elapsed is skipped).
  template <class F>
  static LoopingCall withCount(IReactorTime& clock, F&& countCallable) {
    return withCountImpl(clock, [fn = std::decay_t<F>(std::forward<F>(countCallable))](
                                    long count) mutable { return maybeDeferred(fn, count); });
  }

  // Starts calling every `interval` seconds (0: as often as the clock allows),
  // the first time now (inside start()) when `now`, else after one interval.
  // Returns a Deferred that fires with this LoopingCall after stop(), or fails
  // with the function's failure. Throws std::logic_error when running and
  // std::invalid_argument when interval < 0.
  Deferred start(double interval, bool now = true);
  // Stops: a pending call is cancelled and the start() Deferred fires now;
  // if the function's Deferred is outstanding, it fires when that one has a
  // result. Throws std::logic_error when not running.
  void stop();
  // Re-bases the grid at the current time, when a call is pending. Throws
  // std::logic_error when not running.
  void reset();

  // True from start() until stop() or a failure.
  bool running() const noexcept;
  // The start() Deferred while it has not fired (Twisted's deprecated `deferred`).
  std::optional<Deferred> deferred() const;
  // The clock it runs on.
  IReactorTime& clock() const noexcept;
  // Changes the clock (for tests, as Twisted's `lc.clock = clock`). Only while stopped.
  void setClock(IReactorTime& clock);
  // The interval of the last start().
  double interval() const noexcept;
  // When the current grid starts.
  double starttime() const noexcept;
  // The pending call, if any.
  std::optional<DelayedCall> call() const;

  // Identity.
  friend bool operator==(const LoopingCall& a, const LoopingCall& b) noexcept {
    return a.s_ == b.s_;
  }

 private:
  struct State;
  explicit LoopingCall(std::shared_ptr<State> s) noexcept : s_(std::move(s)) {}
  static LoopingCall withCountImpl(IReactorTime& clock, std::function<Deferred(long)> f);
  std::shared_ptr<State> s_;
};

}  // namespace weft::twisted
