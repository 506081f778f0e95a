#include "tasklet/dispatch.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include "sched/extension.hpp"
#include "tasklet/detail/runtime.hpp"

namespace weft::detail {

namespace {

bool on_main_thread() noexcept { return ::syscall(SYS_gettid) == ::getpid(); }

}  // namespace

void main_returned(int code) noexcept { set_exit_code(code); }

void main_failed(DispatchOptions& options) noexcept {
  if (options.main_error != nullptr) {
    *options.main_error = std::current_exception();
  } else {
    log(LogLevel::error, "the main tasklet failed: " + describe_current_exception());
  }
  set_exit_code(1);
}

int run_dispatch(DispatchOptions& options, void (*start)(void*), void* ctx) {
  LoopSetup setup;
  setup.log = options.log;
  setup.handle_signals = options.handle_signals && on_main_thread();
  setup.default_stack = options.stack_size;
  setup.log_level = options.log_level;
  setup.dump_on_sigquit = options.dump_on_sigquit && on_main_thread();
  setup.blocked_threshold_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.blocked_threshold).count();
  setup.linger_report_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.linger_report).count();
  // `start` spawns main, the first tasklet: mark it (its end may be reported).
  struct Start {
    void (*start)(void*);
    void* ctx;
  } s{start, ctx};
  auto marked = [](void* p) {
    auto& st = *static_cast<Start*>(p);
    st.start(st.ctx);
    if (Fiber* main = first_live_fiber()) static_cast<TaskletRecord*>(main)->is_main = true;
  };
  return run_loop(tasklet_hooks(), setup, marked, &s, options.stats_at_exit);
}

}  // namespace weft::detail
