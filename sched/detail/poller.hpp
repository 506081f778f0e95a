#pragma once
// The event-loop seam: the only interface to libev. Its implementation
// (poller_ev.cpp) is the only file that includes ev.h. Four things: poll with a
// bound, wake a blocked poll from another thread, watch an fd (level-triggered
// through libev, or edge-triggered), watch a signal (signal_set.hpp).
//
// Why edge-triggered watches exist beside libev's: a socket's tasklet, woken
// by readiness, may wait in the run queue while the loop polls again. A
// level-triggered watch reports that socket again at every such poll, so with
// thousands of busy connections every poll returned thousands of fds and a
// round trip's cost grew with the number of connections. An edge-triggered
// watch reports new readiness only, and needs no system call to re-arm: a
// ready fd is reported once until its tasklet has consumed it (read until
// EAGAIN or a short read) and waits again. libev has no edge-triggered mode,
// so these fds sit in an epoll set of their own, which libev watches as one fd.

#include <cstdint>
#include <memory>

namespace weft::detail {

class Loop;

class Poller {
 public:
  explicit Poller(Loop& loop);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Waits for events up to max_wait_ns (0: do not block; INT64_MAX: until an
  // event arrives) and runs their callbacks.
  void poll(std::int64_t max_wait_ns);
  // Interrupts a blocking poll; the loop then drains its Remote queue.
  // Thread-safe.
  void wakeup() noexcept;

  // Event bits for fd watches.
  static constexpr int kRead = 1;
  static constexpr int kWrite = 2;
  // With kRead|kWrite: the fd is not an open file descriptor (libev's
  // EV_ERROR). The watch has stopped; io_set re-arms it.
  static constexpr int kError = 4;
  // Edge watches, with kRead: the peer has shut down its side or the fd has
  // an error (EPOLLRDHUP, EPOLLHUP, EPOLLERR): no later edge will say so again.
  static constexpr int kHangUp = 8;

  struct Io;      // one registered fd (opaque)
  struct Signal;  // one watched signal (opaque)
  using IoCallback = void (*)(void* owner, int events) noexcept;
  using SignalCallback = void (*)(void* owner, int signo) noexcept;

  // Creates a watch on `fd` (inactive until io_set). Counts as a live watcher.
  Io* io_create(int fd, IoCallback cb, void* owner);
  // Creates an edge-triggered watch on `fd`, armed for reading and writing
  // from now on until io_destroy: the callback gets each new readiness once
  // (kRead, kWrite; both on hang-up or error). io_set does not apply. Returns
  // nullptr when the fd is not an open file descriptor. Counts as a live
  // watcher. Throws std::bad_alloc, std::system_error (EPERM: a regular file).
  Io* io_create_edge(int fd, IoCallback cb, void* owner);
  // Sets which events to watch (0 stops watching). Returns false, watching
  // nothing, when events are asked for and the fd is not an open file
  // descriptor (libev would abort on it).
  bool io_set(Io* io, int events) noexcept;
  void io_destroy(Io* io) noexcept;

  // Watches a signal until signal_destroy. Counts as a live watcher unless
  // `internal` (the loop's own SIGINT/SIGTERM handling).
  Signal* signal_create(int signo, SignalCallback cb, void* owner, bool internal = false);
  void signal_destroy(Signal* s) noexcept;

  struct Impl;  // defined with libev in poller_ev.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::detail
