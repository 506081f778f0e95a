#include "sched/fd_watch.hpp"

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "sched/detail/loop.hpp"
#include "sched/detail/poller.hpp"

namespace weft {

using detail::Poller;

FdWatch::FdWatch(int fd) : fd_(fd), loop_(detail::Loop::current()) {
  if (loop_ == nullptr) throw std::logic_error("weft: FdWatch needs a running loop (dispatch())");
  if (fd < 0) throw std::invalid_argument("weft: FdWatch on a negative file descriptor");
}

FdWatch::~FdWatch() {
  if (io_ != nullptr) loop_->poller().io_destroy(static_cast<Poller::Io*>(io_));
}

void FdWatch::update() noexcept {
  if (io_ == nullptr) return;
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
  readers_.notify_all();
  writers_.notify_all();
}

void FdWatch::on_ready(void* owner, int events) noexcept {
  auto* self = static_cast<FdWatch*>(owner);
  if (events & Poller::kError) {  // not an open fd; the poller stopped watching it
    self->armed_ = 0;
    self->report_bad_fd();
    return;
  }
  if (events & Poller::kRead) self->readers_.notify_all();
  if (events & Poller::kWrite) self->writers_.notify_all();
  // The watch stays armed after its waiters leave (a socket usually waits
  // again right away, and re-arming costs libev work); it is disarmed here,
  // when an event finds nobody waiting for it.
  if ((events & self->armed_ & ~self->wanted()) != 0) self->update();
}

int FdWatch::wanted() const noexcept {
  return (want_read_ > 0 ? Poller::kRead : 0) | (want_write_ > 0 ? Poller::kWrite : 0);
}

bool FdWatch::wait(int events, Timeout t) {
  const Deadline d = Deadline::from(t);
  if (closed_) return false;
  if (io_ == nullptr) io_ = loop_->poller().io_create(fd_, &FdWatch::on_ready, this);
  const bool read = events == Poller::kRead;
  unsigned& want = read ? want_read_ : want_write_;
  ++want;
  const unsigned bad_fd_reports = bad_fd_reports_;
  if ((armed_ & events) == 0) update();
  Wake w = Wake::ready;
  if (bad_fd_reports_ == bad_fd_reports) w = (read ? readers_ : writers_).wait(d);
  --want;  // stays armed: see on_ready
  if (closed_) return false;
  const auto what = [&] {
    return std::string("wait for fd ") + std::to_string(fd_) +
           (read ? " to be readable" : " to be writable");
  };
  if (w != Wake::ready) check_wake(w, d, what());
  if (bad_fd_reports_ != bad_fd_reports) {
    throw std::system_error(EBADF, std::generic_category(),
                            "weft: " + what() + " failed: not an open file descriptor");
  }
  return true;
}

bool FdWatch::wait_readable(Timeout t) { return wait(Poller::kRead, t); }
bool FdWatch::wait_writable(Timeout t) { return wait(Poller::kWrite, t); }

void FdWatch::close() noexcept {
  if (closed_) return;
  closed_ = true;
  update();
  readers_.notify_all();
  writers_.notify_all();
}

void wait_fd(int fd, bool write, Timeout t) {
  FdWatch w(fd);
  if (write) w.wait_writable(t); else w.wait_readable(t);
}

}  // namespace weft
