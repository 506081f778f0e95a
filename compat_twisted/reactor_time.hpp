#pragma once
// The reactor interfaces compat_twisted code is written against, so that the
// same code runs on the weft loop (Reactor) or on virtual time (Clock):
// IReactorTime (callLater, seconds, getDelayedCalls) and IReactorCore (run,
// stop, callWhenRunning, system event triggers). Objects such as
// LoopingCall, Cooperator, deferLater and Deferred::addTimeout take an
// IReactorTime& where Twisted would use the global reactor.

#include "weft/sched/config.hpp"

#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/compat_twisted/delayed_call.hpp"

namespace weft::twisted {

class IReactorTime {
 public:
  virtual ~IReactorTime() = default;

  // The current time in seconds (virtual time for Clock).
  virtual double seconds() const = 0;
  // Calls f(args...) after `delay` seconds (negative delays are not
  // rejected: the call is due at once). What f returns is ignored.
  template <class F, class... A>
  DelayedCall callLater(double delay, F&& f, A&&... args) {
    if constexpr (sizeof...(A) == 0 && std::is_convertible_v<F&&, std::function<void()>>) {
      return scheduleCall(delay, std::function<void()>(std::forward<F>(f)));
    } else {
      return scheduleCall(delay, [fn = std::decay_t<F>(std::forward<F>(f)),
                                  t = std::tuple<std::decay_t<A>...>(std::forward<A>(args)...)]() mutable {
        std::apply([&](auto&... a) { (void)std::invoke(fn, a...); }, t);
      });
    }
  }
  // The calls still pending, earliest first (a snapshot).
  virtual std::vector<DelayedCall> getDelayedCalls() const = 0;

 protected:
  // What callLater does, for implementations.
  virtual DelayedCall scheduleCall(double delay, std::function<void()> f) = 0;
};

class IReactorCore {
 public:
  virtual ~IReactorCore() = default;

  // Runs the reactor until stop(): first the callWhenRunning calls, then
  // whatever is scheduled. Blocks the calling tasklet.
  virtual void run() = 0;
  // Asks the reactor to stop (running the shutdown triggers). Throws
  // ReactorNotRunning when it is not running or already stopping.
  virtual void stop() = 0;
  // True between run() and stop().
  virtual bool running() const = 0;
  // Calls f(args...) once the reactor runs (now, when it already does).
  template <class F, class... A>
  void callWhenRunning(F&& f, A&&... args) {
    scheduleWhenRunning([fn = std::decay_t<F>(std::forward<F>(f)),
                         t = std::tuple<std::decay_t<A>...>(std::forward<A>(args)...)]() mutable {
      std::apply([&](auto&... a) { (void)std::invoke(fn, a...); }, t);
    });
  }
  // Calls f when `eventType` happens, in `phase` ("before", "during" or
  // "after"). Only the "shutdown" event exists. Throws std::invalid_argument
  // for others.
  virtual void addSystemEventTrigger(const std::string& phase, const std::string& eventType,
                                     std::function<void()> f) = 0;

 protected:
  // What callWhenRunning does, for implementations.
  virtual void scheduleWhenRunning(std::function<void()> f) = 0;
};

}  // namespace weft::twisted
