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
  return run_loop(tasklet_hooks(), setup, start, ctx, options.stats_at_exit);
}

}  // namespace weft::detail
