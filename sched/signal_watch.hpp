#pragma once
// Waiting on POSIX signals from tasklets (SIGHUP to reload, SIGUSR1 to dump
// state...), through the loop: no code runs in the signal handler.

#include "weft/sched/config.hpp"

#include <cstddef>

#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

namespace detail {
class Loop;
}

// Catches one signal while it lives and lets tasklets wait for it. Deliveries
// that arrive while nobody waits are counted, not lost. When the last watch
// of a signal ends, the signal gets its default action back. Only one loop
// may watch a given signal at a time (SIGINT/SIGTERM: dispatch() already
// quits on them; a watch adds to that). Loop-thread only; not copyable or
// movable. Precondition for destruction: nobody waits (close() first).
class SignalWatch {
 public:
  // Starts catching `signo`. Throws std::invalid_argument for a bad signal
  // number, std::logic_error outside dispatch() or when another loop (thread)
  // watches `signo`.
  explicit SignalWatch(int signo);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  // Parks until the signal has arrived since the last wait (at once when it
  // already has) and returns how many deliveries that covers (signals
  // coalesce: at least 1). Returns 0 when close() was called. Throws
  // TimeoutError, TaskletExit. Must be called in a tasklet.
  std::size_t wait(Timeout t = current);
  // Deliveries not yet returned by wait().
  std::size_t pending() const noexcept { return pending_; }
  // Stops catching the signal and wakes every waiter (wait() returns 0). Idempotent.
  void close() noexcept;
  bool closed() const noexcept { return watch_ == nullptr; }
  int signo() const noexcept { return signo_; }

 private:
  static void on_signal(void* owner, int signo) noexcept;

  int signo_;
  std::size_t pending_ = 0;
  void* watch_ = nullptr;  // the poller's signal watch (nullptr once closed)
  detail::Loop* loop_;
  WaitList waiters_;
};

// Parks until `signo` arrives once (caught only during the wait). Throws as
// SignalWatch and its wait(). Must be called in a tasklet.
void wait_signal(int signo, Timeout t = current);

}  // namespace weft
