#pragma once
// Parking on a file descriptor's readiness: the base of weft's sockets and the
// way to integrate any other fd-based library with the loop.

#include "sched/timeout.hpp"
#include "sched/wait_list.hpp"

namespace weft {

namespace detail {
class Loop;
}

// Readiness waits on one fd (not owned: FdWatch never closes it). Any number
// of tasklets may wait for reading and for writing at the same time. The loop
// watches the fd only while somebody waits. Loop thread only. Precondition for
// destruction: no tasklet is parked on it (call close() first and let them run).
class FdWatch {
 public:
  explicit FdWatch(int fd);
  ~FdWatch();
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  // Parks until the fd is readable (or at EOF/error). Returns false when
  // close() was called before or during the wait. Throws TimeoutError,
  // TaskletExit, and std::system_error (EBADF) when the fd is not an open file
  // descriptor (closed behind the watch's back before the wait; an fd closed
  // during a wait leaves the kernel's watch silently, so only the timeout ends
  // that one). Must be called in a tasklet.
  // Precondition: the fd is not closed between the start of a wait and the
  // loop's next poll (libev, finding it closed then, aborts the process);
  // call close() on the watch before closing its fd, as Socket::close does.
  bool wait_readable(Timeout t = current);
  // The same for writability.
  bool wait_writable(Timeout t = current);
  // Wakes every waiter (their wait returns false) and refuses later waits.
  void close() noexcept;
  bool closed() const noexcept { return closed_; }
  int fd() const noexcept { return fd_; }
  std::size_t waiting_readers() const noexcept { return readers_.size(); }
  std::size_t waiting_writers() const noexcept { return writers_.size(); }

 private:
  bool wait(int events, Timeout t);
  void update() noexcept;
  void report_bad_fd() noexcept;
  int wanted() const noexcept;
  static void on_ready(void* owner, int events) noexcept;

  int fd_;
  bool closed_ = false;
  unsigned want_read_ = 0;
  unsigned want_write_ = 0;
  int armed_ = 0;  // events the poller watches (may outlast the waiters, see on_ready)
  unsigned bad_fd_reports_ = 0;  // times the poller found the fd not open (waits compare)
  void* io_ = nullptr;  // the poller's watch, created at the first wait
  detail::Loop* loop_;
  WaitList readers_;
  WaitList writers_;
};

// One-shot: parks until fd is readable (`write` false) or writable. Throws
// TimeoutError, TaskletExit or std::system_error (EBADF: not an open fd).
// Must be called in a tasklet.
void wait_fd(int fd, bool write, Timeout t = current);

}  // namespace weft
