#pragma once
// Parking on a file descriptor's readiness: the base of weft's sockets and the
// way to integrate any other fd-based library (a database client, an inotify
// fd, a pipe) with the loop.

#include "weft/sched/config.hpp"

#include <cstddef>

#include "weft/sched/park.hpp"
#include "weft/sched/broadcast_list.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

namespace detail {
class Loop;
}

// Readiness of an fd, as bits.
enum class FdEvents : unsigned { none = 0, read = 1, write = 2, read_write = 3 };

constexpr FdEvents operator|(FdEvents a, FdEvents b) noexcept {
  return static_cast<FdEvents>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr FdEvents operator&(FdEvents a, FdEvents b) noexcept {
  return static_cast<FdEvents>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
// True when `set` holds every bit of `bits` (and bits is not none).
constexpr bool has(FdEvents set, FdEvents bits) noexcept {
  return bits != FdEvents::none && (set & bits) == bits;
}

// How an FdWatch::wait ended. Read it in this order (the throwing waits do):
// closed, then wake (check_wake), then bad_fd; only then is `fired` the answer.
struct FdWake {
  // park()'s reason: ready, timed_out (the deadline passed) or killed (the
  // caller must unwind: check_wake throws TaskletExit).
  Wake wake = Wake::ready;
  // The wanted events that fired: set only when wake is ready and neither
  // flag is. A wait on one event reports that event.
  FdEvents fired = FdEvents::none;
  // close() was called before or during the wait. Comes first: `wake` may
  // say timed_out or killed as well.
  bool closed = false;
  // The fd is not an open file descriptor (closed behind the watch's back
  // before the wait, or reported so by the poller): the wait ended at once.
  bool bad_fd = false;
  // Woken by readiness: nothing for check_wake to report.
  bool ready() const noexcept { return wake == Wake::ready && !closed && !bad_fd; }
};

// How an FdWatch learns of readiness.
enum class Readiness {
  // Every wait sees the fd's state as it is: for any fd, whoever reads it.
  level,
  // A wait sees readiness that arrived since the previous wait for it
  // returned (or since the watch was made), and otherwise parks until new
  // readiness arrives. Precondition: wait only after the fd said EAGAIN, or
  // after a read shorter than asked (readiness that was there before is not
  // reported again) -- what Socket does. No system call per wait, and a ready
  // fd costs nothing at later polls while its tasklet waits to run: the mode
  // for servers with many connections.
  edge,
};

// Readiness waits on one fd (not owned: FdWatch never closes it). Any number
// of tasklets may wait for reading, for writing or for either at the same
// time. The loop watches the fd only while somebody waits. Loop thread only.
// Precondition for destruction: no tasklet is parked on it (call close()
// first and let them run).
// Precondition of every wait: the fd is not closed between the start of a
// wait and the loop's next poll (libev, finding it closed then, aborts the
// process); call close() on the watch before closing its fd, as Socket::close
// does. An fd closed during an established wait leaves the kernel's watch
// silently, so only the deadline ends that wait.
class alignas(64) FdWatch {
 public:
  // Registers `fd` with the loop (level: not yet watched; edge: watched from
  // now on). Throws std::logic_error outside dispatch(), std::invalid_argument
  // for fd < 0. (An fd that is not open makes every wait report bad_fd.)
  explicit FdWatch(int fd, Readiness mode = Readiness::level);
  ~FdWatch();
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  // Parks until the fd is ready for any of `wanted` (read: data, EOF or an
  // error is pending; write: there is room), `d` passes, the tasklet is
  // killed or close() is called, and says which (see FdWake). Never throws:
  // the caller words its own error. Returns at once when the watch is closed,
  // the fd is not open, or wanted is none (nothing fired). Must be called in
  // a tasklet.
  FdWake wait(FdEvents wanted, const Deadline& d) noexcept;
  // Parks until the fd is readable (or at EOF/error). Returns false when
  // close() was called before or during the wait. Throws TimeoutError,
  // TaskletExit, and std::system_error (EBADF) when the fd is not an open
  // file descriptor. Must be called in a tasklet.
  bool wait_readable(Timeout t = current);
  // The same for writability.
  bool wait_writable(Timeout t = current);
  // Wakes every waiter (their wait reports closed) and refuses later waits.
  void close() noexcept;
  bool closed() const noexcept { return closed_; }
  // Edge mode: the peer has shut down its side (or the fd has an error) at
  // some point since the watch was made. From then on readiness to read does
  // not change again, so a reader must not wait for a new edge: the end of
  // the stream (or the error) may have come with data it already took.
  bool hung_up() const noexcept { return hung_up_; }
  // Whether the watch is edge-triggered: Readiness::edge asked for, on an fd
  // the kernel can watch so (not a regular file, which is watched level-
  // triggered instead, and never reports a hang-up).
  bool edge_triggered() const noexcept { return edge_; }
  int fd() const noexcept { return fd_; }
  // Tasklets parked for reading / writing (a wait on both counts in each).
  std::size_t waiting_readers() const noexcept { return readers_.size() + either_.size(); }
  std::size_t waiting_writers() const noexcept { return writers_.size() + either_.size(); }

 private:
  void update() noexcept;
  void report_bad_fd() noexcept;
  int wanted() const noexcept;
  static void on_ready(void* owner, int events) noexcept;
  void wake_all() noexcept;
  // wait() on both events (out of line: see wait()).
  [[gnu::noinline]] FdWake wait_either(const Deadline& d) noexcept;
  void end_wait(FdWake& r, unsigned bad_fd_reports, int fired) noexcept;

  // The first cache line holds what a read wait and a wake-up touch (the
  // class is aligned to it): with thousands of connections the watch has left
  // the cache between two wake-ups. A socket's one reader waits in readers_
  // itself (see BroadcastList); writers_ and either_ stay untouched while
  // nobody waits to write (want_write_).
  BroadcastList readers_;  // waits on reading only
  int fd_;
  int ready_ = 0;  // edge mode: readiness that arrived and no wait has taken yet
  unsigned want_read_ = 0;   // waits on reading (readers_ and either_)
  unsigned want_write_ = 0;  // waits on writing (writers_ and either_)
  unsigned bad_fd_reports_ = 0;  // times the poller found the fd not open (waits compare)
  int armed_ = 0;  // events the poller watches (may outlast the waiters, see on_ready)
  bool edge_;
  bool closed_ = false;
  bool hung_up_ = false;  // edge mode: see hung_up()
  bool unwatched_ = false;  // edge mode: the poller has no watch (io_ is null)
  void* io_ = nullptr;  // the poller's watch, created with the FdWatch
  detail::Loop* loop_;
  WaitList writers_;
  WaitList either_;  // waits on both; each waiter's data is its fired bits (see on_ready)
};

// One-shot: parks until fd is readable (`write` false) or writable. Throws
// std::invalid_argument for fd < 0, TimeoutError, TaskletExit or
// std::system_error (EBADF: not an open fd). Must be called in a tasklet.
void wait_fd(int fd, bool write, Timeout t = current);

// One-shot: parks until `fd` (not owned) is ready for any of `wanted` and
// returns which of them are. Throws std::invalid_argument when wanted is none
// or fd < 0, std::system_error (EBADF) when fd is not an open file
// descriptor, TimeoutError, TaskletExit. Must be called in a tasklet. For
// repeated waits on one fd, an FdWatch keeps its registration between them.
FdEvents wait_fd_events(int fd, FdEvents wanted, Timeout t = current);

}  // namespace weft
