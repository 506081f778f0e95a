#include "sched/fd_watch.hpp"

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "sched/detail/loop.hpp"
#include "sched/detail/poller.hpp"
#include "sched/extension.hpp"

namespace weft {

using detail::Poller;

namespace {

int poller_events(FdEvents e) noexcept {
  return (has(e, FdEvents::read) ? Poller::kRead : 0) |
         (has(e, FdEvents::write) ? Poller::kWrite : 0);
}

FdEvents fd_events(int poller_events) noexcept {
  return ((poller_events & Poller::kRead) != 0 ? FdEvents::read : FdEvents::none) |
         ((poller_events & Poller::kWrite) != 0 ? FdEvents::write : FdEvents::none);
}

[[noreturn]] void throw_bad_fd(const std::string& what) {
  throw std::system_error(EBADF, std::generic_category(),
                          "weft: " + what + " failed: not an open file descriptor");
}

// The throwing form of a one-event wait: false when the watch was closed.
bool wait_one(FdWatch& watch, FdEvents e, Timeout t) {
  const Deadline d = Deadline::from(t);
  const FdWake r = watch.wait(e, d);
  if (r.closed) return false;
  if (r.wake == Wake::ready && !r.bad_fd) return true;
  const std::string what = "wait for fd " + std::to_string(watch.fd()) +
                           (e == FdEvents::read ? " to be readable" : " to be writable");
  check_wake(r.wake, d, what);
  throw_bad_fd(what);
}

}  // namespace

FdWatch::FdWatch(int fd, Readiness mode)
    : fd_(fd), edge_(mode == Readiness::edge), loop_(&detail::require_loop("FdWatch")) {
  if (fd < 0) throw std::invalid_argument("weft: FdWatch on a negative file descriptor");
  // Made here rather than at the first wait, so that wait() cannot fail.
  if (edge_) {
    try {
      io_ = loop_->poller().io_create_edge(fd_, &FdWatch::on_ready, this);
      unwatched_ = io_ == nullptr;  // not an open fd, which every wait reports
      return;
    } catch (const std::system_error& e) {
      // A regular file (EPERM) cannot be in an epoll set: libev's level watch
      // treats it as always ready.
      if (e.code().value() != EPERM) throw;
      edge_ = false;
    }
  }
  io_ = loop_->poller().io_create(fd_, &FdWatch::on_ready, this);
}

FdWatch::~FdWatch() { loop_->poller().io_destroy(static_cast<Poller::Io*>(io_)); }

void FdWatch::update() noexcept {
  if (edge_) return;  // armed for both directions from the start
  int events = 0;
  if (!closed_) {
    if (want_read_ > 0) events |= Poller::kRead;
    if (want_write_ > 0) events |= Poller::kWrite;
  }
  if (loop_->poller().io_set(static_cast<Poller::Io*>(io_), events)) {
    armed_ = events;
  } else {
    armed_ = 0;
    report_bad_fd();
  }
}

void FdWatch::report_bad_fd() noexcept {
  ++bad_fd_reports_;
  wake_all();
}

void FdWatch::wake_all() noexcept {
  readers_.notify_all();
  writers_.notify_all();
  either_.notify_all();
}

void FdWatch::on_ready(void* owner, int events) noexcept {
  auto* self = static_cast<FdWatch*>(owner);
  if (events & Poller::kError) {  // not an open fd; the poller stopped watching it
    self->armed_ = 0;
    self->report_bad_fd();
    return;
  }
  if (self->edge_) self->ready_ |= events & (Poller::kRead | Poller::kWrite);
  if (events & Poller::kHangUp) self->hung_up_ = true;
  if (events & Poller::kRead) self->readers_.notify_all();
  if (self->want_write_ != 0) {  // (a wait on both counts there too)
    if (events & Poller::kWrite) self->writers_.notify_all();
    // A wait on both learns which fired: each such waiter's data is its bits.
    while (void* fired = self->either_.front_data()) {
      *static_cast<int*>(fired) |= events & (Poller::kRead | Poller::kWrite);
      self->either_.notify_one();
    }
  }
  // The watch stays armed after its waiters leave (a socket usually waits
  // again right away, and re-arming costs libev work); it is disarmed here,
  // when an event finds nobody waiting for it.
  const int armed = events & self->armed_;  // none in edge mode
  if (armed != 0 && (armed & ~self->wanted()) != 0) self->update();
}

int FdWatch::wanted() const noexcept {
  return (want_read_ > 0 ? Poller::kRead : 0) | (want_write_ > 0 ? Poller::kWrite : 0);
}

FdWake FdWatch::wait(FdEvents wanted, const Deadline& d) noexcept {
  FdWake r;
  if (closed_) {
    r.closed = true;
    return r;
  }
  const int events = poller_events(wanted);
  if (events == 0) return r;
  if (edge_) {
    if (unwatched_) {
      r.bad_fd = true;
      return r;
    }
    if ((ready_ & events) != 0) {  // arrived while nobody waited for it
      r.fired = fd_events(ready_ & events);
      ready_ &= ~events;
      return r;
    }
  }
  if (events == (Poller::kRead | Poller::kWrite)) return wait_either(d);
  // A one-event wait (a socket's, nearly always) is woken by its event only.
  // Its path holds nothing in memory but what the park needs: with thousands
  // of connections, every byte of this frame is on a stack line that is cold
  // at the next wake-up (the wait on both, with its Place and fired bits,
  // is out of line).
  const bool read = events == Poller::kRead;
  // (Two branches, not two adds: GCC made the adds one vector add whose
  // constant it kept, and spilled, across the park.)
  if (read) ++want_read_; else ++want_write_;
  const unsigned bad_fd_reports = bad_fd_reports_;
  if (!edge_ && (armed_ & events) != events) update();
  if (bad_fd_reports_ == bad_fd_reports) {  // (else update() found the fd not open)
    r.wake = read ? readers_.wait(d, WaitKind::fd_read, wait_on_number(fd_))
                  : writers_.wait(d, WaitKind::fd_write, wait_on_number(fd_));
  }
  if (read) --want_read_; else --want_write_;  // stays armed: see on_ready
  end_wait(r, bad_fd_reports, events);
  return r;
}

// A wait on both events learns from on_ready which fired, and waits again
// (keeping its turn) after a wake-up passed on to it that carried none (see
// WaitList).
FdWake FdWatch::wait_either(const Deadline& d) noexcept {
  constexpr int events = Poller::kRead | Poller::kWrite;
  FdWake r;
  ++want_read_;
  ++want_write_;
  const unsigned bad_fd_reports = bad_fd_reports_;
  if (!edge_ && (armed_ & events) != events) update();
  int fired = 0;
  if (bad_fd_reports_ == bad_fd_reports) {  // (else update() found the fd not open)
    WaitList::Place place;
    do {
      r.wake = either_.wait(d, place, &fired, WaitKind::fd_io, wait_on_number(fd_));
    } while (r.wake == Wake::ready && fired == 0 && !closed_ &&
             bad_fd_reports_ == bad_fd_reports);
  } else {
    fired = events;
  }
  --want_read_;
  --want_write_;
  end_wait(r, bad_fd_reports, fired & events);
  return r;
}

// What a wait that parked returns: closed, a bad fd, or (woken ready) the
// events that fired, which it takes from ready_ (edge mode).
inline void FdWatch::end_wait(FdWake& r, unsigned bad_fd_reports, int fired) noexcept {
  r.closed = closed_;
  r.bad_fd = bad_fd_reports_ != bad_fd_reports;
  if (r.ready()) {
    r.fired = fd_events(fired);
    ready_ &= ~fired;
  }
}

bool FdWatch::wait_readable(Timeout t) { return wait_one(*this, FdEvents::read, t); }
bool FdWatch::wait_writable(Timeout t) { return wait_one(*this, FdEvents::write, t); }

void FdWatch::close() noexcept {
  if (closed_) return;
  closed_ = true;
  if (edge_) {
    // Out of the epoll set now, before its owner closes the fd.
    loop_->poller().io_destroy(static_cast<Poller::Io*>(io_));
    io_ = nullptr;
  }
  update();
  wake_all();
}

void wait_fd(int fd, bool write, Timeout t) {
  FdWatch w(fd);
  if (write) w.wait_writable(t); else w.wait_readable(t);
}

FdEvents wait_fd_events(int fd, FdEvents wanted, Timeout t) {
  if (wanted == FdEvents::none) {
    throw std::invalid_argument("weft: wait_fd_events for no event (FdEvents::none)");
  }
  if (fd < 0) throw std::invalid_argument("weft: wait_fd_events on a negative file descriptor");
  const Deadline d = Deadline::from(t);
  FdWatch watch(fd);
  const FdWake r = watch.wait(wanted, d);
  if (r.wake != Wake::ready) {
    check_wake(r.wake, d, "wait for fd " + std::to_string(fd) + " to be ready");
  }
  if (r.bad_fd) throw_bad_fd("wait_fd_events on fd " + std::to_string(fd));
  return r.fired;
}

}  // namespace weft
