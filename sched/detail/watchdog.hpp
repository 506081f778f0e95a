#pragma once
// The blocked-loop detector (DispatchOptions::blocked_threshold): a thread
// that samples the loop's pulse (switch count, and whether it is blocked in
// the poller) a few times per threshold. When the count has not moved for
// the threshold while the loop was not polling, one context has held the loop
// without parking or yielding: the watchdog asks the loop thread, with a
// signal (SIGURG, which Go uses for the same purpose), who runs and where, and
// writes one report per episode to stderr ("weft: warning: tasklet 'x' has
// held the loop for 200 ms ...", with a backtrace when libunwind is there).
//
// The report goes to stderr, not to the log handler: it is written while the
// loop is stuck, from the watchdog thread, and a log handler is loop-thread
// code. The loop thread's part runs in the signal handler and is
// async-signal-safe (the tasklet's name through LoopHooks::describe, frame
// addresses through libunwind, no allocation); the watchdog thread names the
// frames.

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <pthread.h>
#include <thread>

#include "weft/sched/detail/backtrace.hpp"

namespace weft::detail {

class Loop;
struct LoopPulse;

class Watchdog {
 public:
  // Starts watching `loop` (the calling thread's). threshold_ns > 0.
  Watchdog(Loop& loop, std::int64_t threshold_ns);
  ~Watchdog();  // stops and joins the thread
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The loop thread's part, in the signal handler.
  void answer(void* ucontext) noexcept;

 private:
  void run();
  void report(std::int64_t held_ns, std::uint64_t episode);

  Loop& loop_;
  LoopPulse& pulse_;
  const std::int64_t threshold_ns_;
  const pthread_t loop_thread_;
  // The exchange with the signal handler: the watchdog sets episode_ and
  // asked_, the handler fills name_/frames_ and sets answered_ (release).
  std::atomic<std::uint64_t> episode_{0};
  std::atomic<bool> asked_{false};
  std::atomic<bool> answered_{false};
  bool same_holder_ = false;  // the switch count still said episode_ (else: moved on)
  char name_[256] = {};
  static constexpr std::size_t kMaxFrames = 32;
  Frame frames_[kMaxFrames];
  std::size_t frame_count_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace weft::detail
