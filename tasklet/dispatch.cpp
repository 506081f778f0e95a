#include "tasklet/dispatch.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include "sched/detail/loop.hpp"
#include "tasklet/detail/runtime.hpp"

namespace weft {

namespace detail {

namespace {

bool on_main_thread() noexcept { return ::syscall(SYS_gettid) == ::getpid(); }

}  // namespace

void set_exit_code(int code) noexcept {
  if (Loop* loop = Loop::current()) loop->set_exit_code(code);
}

void main_failed(DispatchOptions& options) noexcept {
  if (options.main_error != nullptr) {
    *options.main_error = std::current_exception();
  } else {
    log(LogLevel::error, "the main tasklet failed: " + describe_current_exception());
  }
  set_exit_code(1);
}

int run_dispatch(DispatchOptions& options, void (*start)(void*), void* ctx) {
  Loop loop(tasklet_hooks(), options.log, options.handle_signals && on_main_thread());
  install_runtime(loop, options.stack_size);
  start(ctx);
  int code = loop.run();
  if (options.stats_at_exit != nullptr) *options.stats_at_exit = loop_stats();
  return code;
}

}  // namespace detail

LoopStats loop_stats() {
  using detail::ExtSlot;
  using detail::Loop;
  using detail::TaskletRuntime;
  Loop* loop = Loop::current();
  if (loop == nullptr) throw std::logic_error("weft: loop_stats() needs a running loop (dispatch())");
  LoopStats s;
  s.live_tasklets = loop->live_fibers();
  s.runnable = loop->runnable();
  s.live_watchers = loop->counters().live_watchers;
  s.pending_timers = loop->timers().size();
  if (const TaskletRuntime* rt = detail::find_runtime()) {
    s.live_stacks = rt->stacks.live();
    s.pooled_stacks = rt->stacks.pooled();
    s.guarded_stacks = rt->stacks.guarded();
    s.live_records = rt->records.live();
    s.record_bytes = rt->records.mapped_bytes();
  }
  return s;
}

}  // namespace weft
