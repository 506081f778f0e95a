#pragma once
// CooperativeTask: one iterator being run by a Cooperator
// (twisted.internet.task.CooperativeTask). Python's iterators become
// functions returning std::optional<Result>: a value is one unit of work
// (ignored), a Deferred pauses the task until it fires, StopIteration
// (std::nullopt) ends it, and an exception fails it.

#include <functional>
#include <memory>
#include <optional>

#include "weft/compat_twisted/deferred.hpp"

namespace weft::twisted {

// One unit of work per call; std::nullopt when exhausted.
using Iterator = std::function<std::optional<Result>()>;
// What an Iterator returns when it is exhausted: `return StopIteration;`.
inline constexpr std::nullopt_t StopIteration = std::nullopt;

class Cooperator;
namespace detail {
struct TaskState;
struct CoopState;
}  // namespace detail

class CooperativeTask {
 public:
  // A new Deferred for the end of the task: it fires with the iterator (a
  // std::shared_ptr<Iterator>, see iterator()) when exhausted, fails with
  // the iterator's exception, or with TaskStopped / SchedulerStopped. Each call
  // gives an independent Deferred, already fired when the task has finished.
  Deferred whenDone();
  // Stops doing work until a matching resume(); nests. Throws TaskDone,
  // TaskStopped, TaskFailed or SchedulerStopped once finished.
  void pause();
  // Undoes one pause(); the work goes on at a later tick (never inside this
  // call). Throws NotPaused when not paused.
  void resume();
  // Ends the task: whenDone() Deferreds fail with TaskStopped. Throws as pause().
  void stop();
  // The iterator, as whenDone() fires with it.
  const std::shared_ptr<Iterator>& iterator() const noexcept;

  // Identity.
  friend bool operator==(const CooperativeTask& a, const CooperativeTask& b) noexcept {
    return a.s_ == b.s_;
  }

 private:
  friend class Cooperator;
  explicit CooperativeTask(std::shared_ptr<detail::TaskState> s) noexcept : s_(std::move(s)) {}
  std::shared_ptr<detail::TaskState> s_;
};

}  // namespace weft::twisted
