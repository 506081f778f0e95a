#pragma once
// A loop's signal watches, delivered without libev. One process-wide handler
// serves every watched signal: it marks the signal pending in the set of the
// loop that watches it and writes that loop's wake-up eventfd, which sits in
// the epoll set the loop blocks in; the loop, woken, runs the callbacks
// (dispatch). libev's own signal watchers cannot do this: libev writes its
// wake-up pipe only while libev itself blocks, and the loop blocks in its own
// epoll set (poller_ev.cpp says why).
//
// A signal is watched by one loop at a time (as with libev); several watches
// of one loop may share it. Deliveries that arrive before dispatch coalesce
// into one callback per watch. The signal mask is not changed. When the last
// watch of a signal goes, its disposition becomes SIG_DFL again.

#include <atomic>
#include <csignal>
#include <vector>

namespace weft::detail {

class SignalSet {
 public:
  using Callback = void (*)(void* owner, int signo) noexcept;
  struct Watch {
    Callback cb = nullptr;
    void* owner = nullptr;
    int signo = 0;
  };

  // wake_fd: the eventfd the handler writes (owned by the caller, open for
  // the set's life).
  explicit SignalSet(int wake_fd) noexcept : wake_fd_(wake_fd) {}
  ~SignalSet() { clear(); }
  SignalSet(const SignalSet&) = delete;
  SignalSet& operator=(const SignalSet&) = delete;

  // Delivers w.signo to w (caller-owned, until remove). Throws
  // std::logic_error when another loop watches that signal,
  // std::system_error when sigaction fails, std::bad_alloc.
  void add(Watch& w);
  void remove(Watch& w) noexcept;
  // Removes every watch.
  void clear() noexcept;
  // Runs the callbacks of the signals that arrived since the last call.
  void dispatch() noexcept;

  // From the signal handler: async-signal-safe.
  void note(int signo) noexcept;

 private:
  void release(int signo) noexcept;  // the last watch of signo went

  int wake_fd_;
  std::atomic<bool> any_{false};
  std::atomic<bool> pending_[NSIG] = {};
  std::vector<Watch*> watches_[NSIG];
};

}  // namespace weft::detail
