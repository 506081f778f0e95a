#pragma once
// Reactor: the Twisted reactor's time and lifecycle services on the weft loop
// (IReactorTime and IReactorCore). Create one inside dispatch() and pass it to
// what needs a reactor; react() makes one for you.
//
// Differences from a Twisted reactor: the weft loop is the event loop, so
// callLater works whether or not run() was called (run() only blocks its
// caller until stop(), and drives callWhenRunning and the shutdown triggers);
// seconds() is the loop's monotonic clock, not the wall clock. Due calls run
// in a short-lived daemon tasklet ("twisted-reactor"), in time order, so that
// code they trigger may wait on Deferreds (inlineCallbacks starts and resumes
// synchronously, as in Twisted).

#include "weft/sched/config.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "weft/compat_twisted/reactor_time.hpp"

namespace weft::twisted {

class Reactor final : public IReactorTime, public IReactorCore {
 public:
  // Must be created on a loop thread (inside dispatch()); throws
  // std::logic_error saying so outside one (react(main) makes a Reactor and
  // runs the loop for a plain main()).
  Reactor();
  // Pending calls are abandoned (their handles report cancelled).
  ~Reactor() override;
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // The loop's monotonic clock, in seconds.
  double seconds() const override;
  // The pending calls, earliest first.
  std::vector<DelayedCall> getDelayedCalls() const override;
  // Runs the callWhenRunning calls, then blocks the calling tasklet until
  // stop(), then runs the shutdown triggers (before, during, after) and
  // returns. Must be called in a tasklet; a second run() throws
  // ReactorNotRestartable. Throws TaskletExit when the caller is killed.
  void run() override;
  // Makes run() return. Throws ReactorNotRunning unless running and not
  // already stopping.
  void stop() override;
  // True from run() until stop().
  bool running() const override;
  // See IReactorCore: the "shutdown" event's triggers run in run() after stop().
  void addSystemEventTrigger(const std::string& phase, const std::string& eventType,
                             std::function<void()> f) override;

 protected:
  // callLater and callWhenRunning (see the interfaces).
  DelayedCall scheduleCall(double delay, std::function<void()> f) override;
  void scheduleWhenRunning(std::function<void()> f) override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace weft::twisted
