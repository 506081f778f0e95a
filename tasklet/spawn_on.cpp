#include "tasklet/spawn_on.hpp"

#include "sched/log.hpp"
#include "sched/park.hpp"
#include "tasklet/detail/record.hpp"
#include "tasklet/join_error.hpp"

namespace weft::detail {

std::string cross_tasklet_name(const LoopRef& loop, const std::string& name) {
  std::string who = name.empty() ? std::string("a tasklet") : "tasklet '" + name + "'";
  return who + " on loop " + std::to_string(loop.index());
}

std::exception_ptr cross_not_started(const LoopRef& loop) noexcept {
  try {
    return std::make_exception_ptr(LoopEnded("weft: loop " + std::to_string(loop.index()) +
                                             " has ended: the tasklet given to spawn_on() never ran"));
  } catch (...) {
    return std::current_exception();  // out of memory: that is the error
  }
}

std::exception_ptr cross_dropped(const TaskletRecord* record) noexcept {
  if (record->error) return record->error;
  return std::make_exception_ptr(TaskletExit{});
}

CrossTaskletState::~CrossTaskletState() {
  if (!error || observed.load(std::memory_order_relaxed)) return;
  try {
    std::rethrow_exception(error);
  } catch (const TaskletExit&) {  // killed, as a local tasklet: not logged
  } catch (const LoopEnded&) {
  } catch (...) {
    log(LogLevel::error, who + " failed and was never joined: " + describe_current_exception());
  }
}

void await_cross(CrossTaskletState& s, Timeout timeout) {
  if (!s.done.is_set()) {
    current_fiber("LoopTasklet::join()");
    await_cross(s, Deadline::from(timeout));
    return;
  }
  await_cross(s, Deadline::never());
}

void await_cross(CrossTaskletState& s, const Deadline& d) {
  if (!s.done.is_set()) {
    current_fiber("LoopTasklet::join()");
    check_wake(s.done.wait(d), d, "join of " + s.who);
  }
  if (s.error) {
    s.observed.store(true, std::memory_order_relaxed);
    throw JoinError(s.who, s.error);
  }
}

void throw_cross_taken(const CrossTaskletState& s) {
  throw std::logic_error("weft: the result of " + s.who +
                         " was already moved out by an earlier join()");
}

}  // namespace weft::detail
