#include "tasklet/dispatch.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>

#include "sched/extension.hpp"
#include "tasklet/detail/record.hpp"
#include "tasklet/detail/runtime.hpp"

namespace weft::detail {

namespace {

bool on_main_thread() noexcept { return ::syscall(SYS_gettid) == ::getpid(); }

// main_error is shared by the loops of dispatch_loops.
std::mutex main_error_mu;

LoopSetup setup_of(const DispatchOptions& options) {
  LoopSetup setup;
  setup.log = options.log;
  setup.handle_signals = options.handle_signals && on_main_thread();
  setup.default_stack = options.stack_size;
  setup.virtual_time = options.virtual_time;
  setup.schedule_seed = options.schedule_seed;
  setup.log_level = options.log_level;
  setup.dump_on_sigquit = options.dump_on_sigquit && on_main_thread();
  setup.blocked_threshold_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.blocked_threshold).count();
  setup.linger_report_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.linger_report).count();
  return setup;
}

}  // namespace

void main_returned(int code) noexcept { set_exit_code(code); }

void main_failed(DispatchOptions& options) noexcept {
  const std::size_t loops = loop_count();
  bool logged = true;
  if (options.main_error != nullptr) {
    std::lock_guard<std::mutex> lock(main_error_mu);
    if (!*options.main_error) {
      *options.main_error = std::current_exception();
      logged = false;
    }
  }
  if (logged) {
    const std::string which =
        loops > 1 ? "the main tasklet of loop " + std::to_string(loop_index()) : "the main tasklet";
    log(LogLevel::error, which + " failed: " + describe_current_exception());
  }
  set_exit_code(1);
}

void spawn_main(void (*body)(void*), void* ctx) {
  SpawnOptions so;
  so.name = "main";
  Tasklet main = Tasklet::spawn([body, ctx] { body(ctx); }, std::move(so));
  main.record()->is_main = true;  // its end may be reported (exit diagnostics)
}

int run_dispatch(DispatchOptions& options, void (*start)(void*), void* ctx) {
  return run_loop(tasklet_hooks(), setup_of(options), start, ctx, options.stats_at_exit);
}

int run_dispatch_loops(std::size_t loops, DispatchOptions& options,
                       void (*start)(void*, std::size_t), void* ctx) {
  return run_loops(tasklet_hooks(), setup_of(options), loops, start, ctx, options.stats_at_exit);
}

}  // namespace weft::detail
