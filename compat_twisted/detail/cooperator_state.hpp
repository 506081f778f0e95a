#pragma once
// The shared state of a Cooperator and its CooperativeTasks. The Cooperator's
// task list is an index-based vector walked by a saved position, exactly as
// Twisted walks its Python list with a list iterator: removing a task during
// a pass shifts the next one under the position, which then skips it for
// that pass (reproduced on purpose).

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "weft/compat_twisted/cooperator.hpp"

namespace weft::twisted::detail {

struct TaskState : std::enable_shared_from_this<TaskState> {
  std::shared_ptr<Iterator> iterator;
  std::weak_ptr<CoopState> coop;
  std::vector<Deferred> deferreds;         // whenDone() Deferreds not yet fired
  int pauseCount = 0;
  std::exception_ptr completionState;      // TaskDone / TaskStopped / TaskFailed / SchedulerStopped
  std::optional<Result> completionResult;  // the iterator, or a Failure

  void checkFinish() const;
  void completeWith(std::exception_ptr state, Result result);
  void oneWorkUnit();
  void pause();
  void resume();
};

struct CoopState : std::enable_shared_from_this<CoopState> {
  std::vector<std::shared_ptr<TaskState>> tasks;
  std::size_t metarator = 0;  // the pass's position in `tasks`
  std::function<std::function<bool()>()> terminationPredicateFactory;
  std::function<DelayedCall(std::function<void()>)> scheduler;
  std::optional<DelayedCall> delayedCall;
  bool stopped = false;
  bool started = true;
  bool mustScheduleOnStart = false;

  void addTask(const std::shared_ptr<TaskState>& t);
  void removeTask(const TaskState& t);
  void tick();
  void reschedule();
};

}  // namespace weft::twisted::detail
