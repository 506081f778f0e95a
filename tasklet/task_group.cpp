#include "tasklet/task_group.hpp"

#include "sched/log.hpp"
#include "sched/park.hpp"
#include "tasklet/detail/runtime.hpp"

namespace weft {

TaskGroup::TaskGroup() : uncaught_at_start_(std::uncaught_exceptions()) {
  current_fiber("TaskGroup");
}

TaskGroup::~TaskGroup() {
  if (std::uncaught_exceptions() > uncaught_at_start_) kill();
  wait_all_shielded();
  // The group reports (or rethrew) its first failure: the member that raised
  // it is not reported again as a tasklet nobody joined.
  for (const Tasklet& m : members_) {
    if (failure_ && m.error() == failure_) m.record()->observed = true;
  }
  if (failure_ && !failure_reported_) {
    try {
      std::rethrow_exception(failure_);
    } catch (...) {
      log(LogLevel::error,
          "a TaskGroup member failed and the group was never joined: " +
              describe_current_exception());
    }
  }
}

void TaskGroup::fail(std::exception_ptr e) noexcept {
  if (failure_) return;
  failure_ = std::move(e);
  kill();  // the failing member itself is running: kill() skips it
}

void TaskGroup::kill() noexcept {
  const detail::Fiber* self = detail::running_tasklet();
  // Members may be added while we kill (a dying member spawning): index loop.
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Tasklet t = members_[i];
    if (t.record() == self || t.has_finished()) continue;
    try {
      t.kill();
    } catch (...) {  // only the running tasklet throws, and it was skipped
    }
  }
}

void TaskGroup::join(Timeout timeout) {
  detail::JoinWait waiter(timeout);
  for (std::size_t i = 0; i < members_.size(); ++i) waiter.wait(*members_[i].record());
  if (failure_) {
    failure_reported_ = true;
    std::rethrow_exception(failure_);
  }
}

void TaskGroup::wait_all_shielded() noexcept {
  KillShield shield;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    detail::TaskletRecord& r = *members_[i].record();
    while (!members_[i].has_finished()) r.joiners.wait(Deadline::never(), WaitKind::join, &r);
  }
}

}  // namespace weft
