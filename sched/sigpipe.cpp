// write() without SIGPIPE, for fds that are not sockets (declared in
// sched/extension.hpp).

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "sched/extension.hpp"

namespace weft {

// write() to an fd that is not a socket (a pipe, a FIFO, a terminal) without
// SIGPIPE. send(MSG_NOSIGNAL) exists for sockets only, and a library must
// neither rely on the program ignoring SIGPIPE nor change its disposition:
// SIGPIPE is blocked on this thread around the write, and the one the write
// raised (it is sent to the writing thread) is taken back with sigtimedwait,
// unless one was already pending before: that one belongs to someone else and
// stays. Three more system calls per write, paid on this path only.
ssize_t detail::write_without_sigpipe(int fd, const void* data, std::size_t n) noexcept {
  sigset_t pipe_only;
  sigset_t old;
  ::sigemptyset(&pipe_only);
  ::sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigset_t pending;
  const bool was_pending = ::sigpending(&pending) == 0 && ::sigismember(&pending, SIGPIPE) == 1;
  const ssize_t r = ::write(fd, data, n);
  const int err = errno;
  if (r < 0 && err == EPIPE && !was_pending) {
    const timespec now{0, 0};
    while (::sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return r;
}

}  // namespace weft
