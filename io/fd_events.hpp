#pragma once
// Waiting on any fd's readiness, to drive another library's non-blocking fds
// (a database client, an inotify fd, a pipe) from a tasklet.
//
// For repeated waits on one fd, weft::FdWatch (sched/fd_watch.hpp) keeps its
// registration between waits and lets several tasklets wait at once; this is
// the one-shot form that can wait for either direction.

#include "sched/timeout.hpp"

namespace weft {

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

// Parks until `fd` (not owned) is ready for any of `wanted` (read: data, EOF
// or an error is pending; write: there is room) and returns which of them
// are. Throws std::invalid_argument when wanted is none or fd < 0,
// std::system_error (EBADF) when fd is not an open file descriptor,
// TimeoutError, TaskletExit. Must be called in a tasklet.
FdEvents wait_fd_events(int fd, FdEvents wanted, Timeout t = current);

}  // namespace weft
