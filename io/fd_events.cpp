#include "io/fd_events.hpp"

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "sched/detail/loop.hpp"
#include "sched/detail/poller.hpp"
#include "sched/park.hpp"
#include "sched/wait_list.hpp"

namespace weft {

namespace {

using detail::Poller;

struct OneWait {
  WaitList waiter;
  int got = 0;
  static void on_ready(void* owner, int events) noexcept {
    auto* self = static_cast<OneWait*>(owner);
    self->got |= events;
    self->waiter.notify_all();
  }
};

}  // namespace

FdEvents wait_fd_events(int fd, FdEvents wanted, Timeout t) {
  if (wanted == FdEvents::none) {
    throw std::invalid_argument("weft: wait_fd_events for no event (FdEvents::none)");
  }
  if (fd < 0) throw std::invalid_argument("weft: wait_fd_events on a negative file descriptor");
  const Deadline d = Deadline::from(t);
  Poller& poller = detail::Loop::current()->poller();
  OneWait w;
  struct Registration {
    Poller& poller;
    Poller::Io* io;
    ~Registration() { poller.io_destroy(io); }
  } reg{poller, poller.io_create(fd, &OneWait::on_ready, &w)};
  int events = 0;
  if (has(wanted, FdEvents::read)) events |= Poller::kRead;
  if (has(wanted, FdEvents::write)) events |= Poller::kWrite;
  const bool armed = poller.io_set(reg.io, events);  // false: not an open fd
  const Wake why = armed ? w.waiter.wait(d) : Wake::ready;
  poller.io_set(reg.io, 0);
  check_wake(why, d, "wait for fd " + std::to_string(fd) + " to be ready");
  if (!armed || (w.got & Poller::kError) != 0) {
    throw std::system_error(EBADF, std::generic_category(),
                            "weft: wait_fd_events on fd " + std::to_string(fd) +
                                " failed: not an open file descriptor");
  }
  int got = 0;
  if (w.got & Poller::kRead) got |= static_cast<int>(FdEvents::read);
  if (w.got & Poller::kWrite) got |= static_cast<int>(FdEvents::write);
  return static_cast<FdEvents>(got) & wanted;
}

}  // namespace weft
