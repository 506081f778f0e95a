#pragma once
// dispatch(): the starting point of a weft program (Concurrence's dispatch).
//
//   int main() {
//     return weft::dispatch([] { ... the first tasklet ... });
//   }

#include <chrono>
#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>

#include "sched/log.hpp"
#include "sched/loop.hpp"
#include "tasklet/tasklet.hpp"

namespace weft {

struct DispatchOptions {
  // Default stack reserve of this loop's tasklets, in bytes (0: 64 KiB, 256 KiB under ASan).
  std::size_t stack_size = 0;
  // SIGINT / SIGTERM quit in order with exit code 130 / 143. Honoured on the
  // process's main thread only (a signal can belong to one loop).
  bool handle_signals = true;
  // Receives the loop's log messages (default: stderr).
  LogHandler log;
  // When set, an exception escaping `main` is stored here instead of being logged.
  std::exception_ptr* main_error = nullptr;
  // When set, filled with the loop's counters after the exit-time teardown.
  LoopStats* stats_at_exit = nullptr;

  // ---- seeing inside (docs/observe.md)
  // Messages below this level are dropped before the log handler.
  LogLevel log_level = LogLevel::debug;
  // SIGQUIT writes the dump (weft::dump, with backtraces) to stderr and the
  // program goes on. On the process's main thread only, like handle_signals.
  bool dump_on_sigquit = false;
  // > 0: a watchdog thread reports (to stderr, once per episode) a tasklet
  // that holds the loop this long without parking or yielding, with its
  // backtrace; loop_stats().max_run_ns then says the longest hold seen.
  std::chrono::milliseconds blocked_threshold{0};
  // When main has returned and non-daemon tasklets keep dispatch() running,
  // they are listed at once at debug level, and again at info level if they
  // are still running after this long (negative: never).
  std::chrono::milliseconds linger_report{10'000};
};

namespace detail {
int run_dispatch(DispatchOptions& options, void (*start)(void*), void* ctx);
void main_failed(DispatchOptions& options) noexcept;  // inside a catch block
void main_returned(int code) noexcept;  // main returned an int: the exit code
}  // namespace detail

// Creates this thread's loop, runs `main` as its first tasklet (named "main"),
// and returns the exit code once `main` and every non-daemon tasklet have
// finished, or quit(code) was called. Then every remaining tasklet is killed
// (unwound) before dispatch returns. The exit code is quit's code, else what
// `main` returned when that is an int, else 0; 1 when an exception escaped
// `main` (it is logged); 130 / 143 on SIGINT / SIGTERM. Throws
// std::logic_error when a loop already runs on this thread.
template <class F>
int dispatch(F&& main, DispatchOptions options = {}) {
  struct Ctx {
    F& main;
    DispatchOptions& options;
  } ctx{main, options};
  auto start = [](void* p) {
    auto& c = *static_cast<Ctx*>(p);
    SpawnOptions so;
    so.name = "main";
    Tasklet::spawn(
        [&c]() {
          try {
            using R = std::invoke_result_t<F&>;
            if constexpr (std::is_convertible_v<R, int> && !std::is_void_v<R>) {
              detail::main_returned(static_cast<int>(c.main()));
            } else {
              c.main();
            }
          } catch (const TaskletExit&) {
            throw;
          } catch (...) {
            detail::main_failed(c.options);
          }
        },
        std::move(so));
  };
  return detail::run_dispatch(options, start, &ctx);
}

}  // namespace weft
