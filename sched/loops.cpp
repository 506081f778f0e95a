// run_loops: a group of loops, one per thread (see sched/detail/loop_group.hpp).

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <latch>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sched/detail/loop.hpp"
#include "sched/detail/loop_group.hpp"
#include "sched/extension.hpp"

namespace weft::detail {

namespace {

void add(LoopStats& to, const LoopStats& s) noexcept {
  to.live_tasklets += s.live_tasklets;
  to.runnable += s.runnable;
  to.live_stacks += s.live_stacks;
  to.pooled_stacks += s.pooled_stacks;
  to.guarded_stacks += s.guarded_stacks;
  to.live_records += s.live_records;
  to.record_bytes += s.record_bytes;
  to.live_watchers += s.live_watchers;
  to.pending_timers += s.pending_timers;
}

// While alive, threads started by this thread block SIGINT and SIGTERM: the
// process's signals go to loop 0's thread, which quits the whole group.
class QuitSignalsBlocked {
 public:
  QuitSignalsBlocked() noexcept {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &block, &saved_);
  }
  ~QuitSignalsBlocked() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  QuitSignalsBlocked(const QuitSignalsBlocked&) = delete;
  QuitSignalsBlocked& operator=(const QuitSignalsBlocked&) = delete;

 private:
  sigset_t saved_;
};

}  // namespace

std::size_t cpu_count() noexcept {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<std::size_t>(n);
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

int run_loops(const LoopHooks& hooks, const LoopSetup& setup, std::size_t loops,
              void (*start)(void*, std::size_t), void* ctx, LoopStats* stats_at_exit) {
  if (tls_loop != nullptr) {
    throw std::logic_error("weft: dispatch_loops() inside a running loop (one loop per thread)");
  }
  const std::size_t n = loops == 0 ? cpu_count() : loops;
  LoopGroup group(n);
  LoopSetup shared = setup;
  if (setup.log) {  // one line at a time, whichever loop logs it
    auto mu = std::make_shared<std::mutex>();
    shared.log = [mu, log = setup.log](LogLevel level, std::string_view message) {
      std::lock_guard<std::mutex> lock(*mu);
      log(level, message);
    };
  }
  std::latch ready(static_cast<std::ptrdiff_t>(n));
  std::vector<int> codes(n, 0);
  std::vector<LoopStats> stats(n);
  std::mutex failure_mu;
  std::exception_ptr failure;  // a loop that could not be made: none runs
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(failure_mu);
    if (!failure) failure = std::move(e);
  };

  auto run_one = [&](std::size_t i, bool signals) {
    std::unique_ptr<Loop> loop;
    try {
      loop = std::make_unique<Loop>(hooks, shared.log, signals, shared.default_stack);
      loop->join_group(group, i);
      LoopSetup own = shared;
      // Each loop its own sequence: the same seed gives the same order per loop.
      own.schedule_seed = shared.schedule_seed == 0 ? 0 : shared.schedule_seed + i;
      configure(*loop, own, i == 0 && shared.dump_on_sigquit);
    } catch (...) {
      fail(std::current_exception());
    }
    ready.arrive_and_wait();
    {
      std::lock_guard<std::mutex> lock(failure_mu);
      if (failure) return;
    }
    try {
      start(ctx, i);
    } catch (...) {
      weft::log(LogLevel::error, "loop " + std::to_string(i) +
                                     " could not start its main tasklet: " +
                                     describe_current_exception());
      loop->set_exit_code(1);
    }
    codes[i] = loop->run();
    if (stats_at_exit != nullptr) stats[i] = loop_stats();
  };

  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  {
    QuitSignalsBlocked blocked;
    for (std::size_t i = 1; i < n; ++i) {
      try {
        threads.emplace_back(run_one, i, false);
      } catch (...) {
        fail(std::current_exception());
        for (std::size_t k = i; k < n; ++k) ready.count_down();
        break;
      }
    }
  }
  run_one(0, setup.handle_signals);
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);

  if (stats_at_exit != nullptr) {
    *stats_at_exit = LoopStats{};
    for (const LoopStats& s : stats) add(*stats_at_exit, s);
  }
  if (group.quit_requested()) return group.quit_code();
  for (int code : codes) {
    if (code != 0) return code;
  }
  return 0;
}

}  // namespace weft::detail
