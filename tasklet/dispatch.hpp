#pragma once
// dispatch(): the starting point of a weft program (Concurrence's dispatch).
//
//   int main() {
//     return weft::dispatch([] { ... the first tasklet ... });
//   }

#include <chrono>
#include <cstddef>
#include <cstdint>
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
  // Virtual time (docs/virtual_time.md): the loop clock (weft::now(), every
  // timeout, sleep and timer) starts at the wall clock's time and then moves
  // only when nothing can run — no tasklet runnable, no IO ready (a poll that
  // does not wait), no to_thread job running — by jumping to the next
  // deadline. Timers fire in the same order as on the wall clock; an hour of
  // sleeps takes milliseconds. Real sockets work (their IO is polled); a
  // peer that answers after a real delay may lose the race to a timeout.
  bool virtual_time = false;
  // Non-zero: the run queue is served in an order drawn from this seed (a
  // tasklet woken to run next, such as a receiver or a joiner, still does):
  // the same seed gives the same interleaving (with virtual time, the same
  // run), other seeds other interleavings — for shaking out races (see
  // run_seeds in tasklet/seeds.hpp). 0: round-robin.
  std::uint64_t schedule_seed = 0;

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
int run_dispatch_loops(std::size_t loops, DispatchOptions& options,
                       void (*start)(void*, std::size_t), void* ctx);
void main_failed(DispatchOptions& options) noexcept;  // inside a catch block
void main_returned(int code) noexcept;  // main returned an int: the exit code
void spawn_main(void (*body)(void*), void* ctx);  // the tasklet "main"

// Runs `main` as a main tasklet does: an int result is the exit code, an
// exception is reported (with the loop's index under dispatch_loops).
template <class F, class... A>
void run_main(F& main, DispatchOptions& options, A... args) {
  try {
    using R = std::invoke_result_t<F&, A...>;
    if constexpr (std::is_convertible_v<R, int> && !std::is_void_v<R>) {
      main_returned(static_cast<int>(main(args...)));
    } else {
      main(args...);
    }
  } catch (const TaskletExit&) {
    throw;
  } catch (...) {
    main_failed(options);
  }
}
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
    detail::spawn_main([](void* q) {
      auto& c = *static_cast<Ctx*>(q);
      detail::run_main(c.main, c.options);
    }, p);
  };
  return detail::run_dispatch(options, start, &ctx);
}

// Runs `loops` loops (0: one per CPU this process may use), each on its own
// OS thread — loop 0 on the calling thread — and `main(index)` (or `main()`)
// as each loop's first tasklet, named "main". The same `main` object is
// called on every loop's thread at once: it must be safe to call concurrently.
//
// The loops end together: when quit(code) is called on any of them (or on
// SIGINT / SIGTERM, taken by loop 0 when this is the process's main thread),
// every loop quits and unwinds its tasklets as dispatch() does; otherwise when
// no loop has a non-daemon tasklet left — a loop whose own work is done waits,
// idle, while others may still hand it work (spawn_on, LoopRef::post).
// Returns quit's code, else the first non-zero exit code in loop order (a
// main's int result; 1 when an exception escaped a main, logged as "the main
// tasklet of loop <i> failed"), else 0. With several loops,
// `options.main_error` receives the first such exception, `options.log` is
// called one line at a time, `options.stats_at_exit` receives the sum over the
// loops, and each loop's stderr lines say "loop <i>". Loops share no tasklets,
// stacks or records: a Tasklet handle stays on its loop; an Address,
// a LoopRef and spawn_on's LoopTasklet cross. Throws std::logic_error when a loop
// already runs on this thread, std::system_error when a thread cannot start.
template <class F>
int dispatch_loops(std::size_t loops, F&& main, DispatchOptions options = {}) {
  static_assert(std::is_invocable_v<F&, std::size_t> || std::is_invocable_v<F&>,
                "weft: dispatch_loops' main takes the loop's index (std::size_t) or nothing");
  struct Ctx {
    F& main;
    DispatchOptions& options;
  } ctx{main, options};
  auto start = [](void* p, std::size_t) {
    detail::spawn_main([](void* q) {
      auto& c = *static_cast<Ctx*>(q);
      if constexpr (std::is_invocable_v<F&, std::size_t>) {
        detail::run_main(c.main, c.options, loop_index());
      } else {
        detail::run_main(c.main, c.options);
      }
    }, p);
  };
  return detail::run_dispatch_loops(loops, options, start, &ctx);
}

}  // namespace weft
