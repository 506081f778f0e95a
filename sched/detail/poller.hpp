#pragma once
// The event-loop seam: the only interface to libev. Its implementation
// (poller_ev.cpp) is the only file that includes ev.h. Four things: poll with a
// bound, wake a blocked poll from another thread, watch an fd, watch a signal.

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

  struct Io;      // one registered fd (opaque)
  struct Signal;  // one watched signal (opaque)
  using IoCallback = void (*)(void* owner, int events) noexcept;
  using SignalCallback = void (*)(void* owner, int signo) noexcept;

  // Creates a watch on `fd` (inactive until io_set). Counts as a live watcher.
  Io* io_create(int fd, IoCallback cb, void* owner);
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
