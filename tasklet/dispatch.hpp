#pragma once
// dispatch(): the starting point of a weft program (Concurrence's dispatch).
//
//   int main() {
//     return weft::dispatch([] { ... the first tasklet ... });
//   }

#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>

#include "weft/sched/log.hpp"
#include "weft/sched/loop.hpp"
#include "weft/tasklet/tasklet.hpp"

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
