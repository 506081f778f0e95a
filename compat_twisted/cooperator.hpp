#pragma once
// Cooperator: runs many iterators a unit of work at a time, round robin, in
// ticks that end when a termination predicate says so
// (twisted.internet.task.Cooperator).
//
//   Cooperator coop(reactor);
//   coop.coiterate([i = 0]() mutable -> std::optional<Result> {
//     if (i == 3) return StopIteration;
//     return i++;                        // one unit of work
//   }).addCallback(...);
//
// There is no global Cooperator (nor module-level cooperate/coiterate): make
// one on the reactor or Clock that should schedule it.

#include <functional>
#include <memory>
#include <optional>

#include "weft/compat_twisted/cooperative_task.hpp"
#include "weft/compat_twisted/delayed_call.hpp"
#include "weft/compat_twisted/reactor_time.hpp"

namespace weft::twisted {

// Cooperator's keyword arguments.
struct CooperatorOptions {
  // Called at the start of each tick; the predicate it returns is asked after
  // each unit of work and ends the tick when true. Empty: a tick lasts 10 ms
  // (of steady-clock time), as Twisted's _Timer.
  std::function<std::function<bool()>()> terminationPredicateFactory;
  // Schedules a tick: takes the tick function, returns the DelayedCall (only
  // its cancel() is used). Empty: reactor.callLater(1e-8, tick) on the
  // Cooperator's reactor.
  std::function<DelayedCall(std::function<void()>)> scheduler;
  // When false, tasks wait for start().
  bool started = true;
};

class Cooperator {
 public:
  // A Cooperator whose default scheduler uses `reactor` (which must outlive it).
  explicit Cooperator(IReactorTime& reactor, CooperatorOptions options = {});
  // A Cooperator with its own scheduler. Throws std::invalid_argument when
  // options.scheduler is empty.
  explicit Cooperator(CooperatorOptions options);
  // Cancels the pending tick; unfinished tasks stay as they are.
  ~Cooperator();
  Cooperator(const Cooperator&) = delete;
  Cooperator& operator=(const Cooperator&) = delete;

  // Runs `it` as a task and returns a Deferred firing with the iterator when
  // it is exhausted (doneDeferred when given).
  Deferred coiterate(Iterator it, std::optional<Deferred> doneDeferred = std::nullopt);
  // Runs `it` as a task and returns it.
  CooperativeTask cooperate(Iterator it);
  // (Re)starts scheduling ticks.
  void start();
  // Fails every running task with SchedulerStopped and stops; tasks added
  // while stopped fail at once. (Unpaused tasks only, as in Twisted.)
  void stop();
  // Started and not stopped.
  bool running() const noexcept;

 private:
  std::shared_ptr<detail::CoopState> s_;
};

}  // namespace weft::twisted
