// libev behind the Poller seam. The only file in weft that includes ev.h.
//
// One ev_loop per weft loop (ev_loop_new), an ev_async for cross-thread
// wake-ups, one ev_timer to bound a blocking poll by the earliest deadline of
// the loop's own timer heap, and ev_io / ev_signal watchers on request.
// Deadlines themselves are not libev timers: the loop keeps them in its heap so
// that the fiber record carries no libev type.

#include <ev.h>
#include <fcntl.h>

#include <cerrno>
#include <new>
#include <stdexcept>

#include "sched/detail/loop.hpp"
#include "sched/detail/poller.hpp"

namespace weft::detail {

struct Poller::Impl {
  Loop& loop;
  struct ev_loop* ev = nullptr;
  ev_async async{};
  ev_timer bound{};
};

struct Poller::Io {
  ev_io w{};
  IoCallback cb = nullptr;
  void* owner = nullptr;
  int events = 0;
};

struct Poller::Signal {
  ev_signal w{};
  SignalCallback cb = nullptr;
  void* owner = nullptr;
  bool internal = false;
};

namespace {

void on_async(struct ev_loop* ev, ev_async*, int) {
  static_cast<Poller::Impl*>(ev_userdata(ev))->loop.drain_remote();
}

void on_bound(struct ev_loop*, ev_timer*, int) {}  // only ends the blocking poll

void on_io(struct ev_loop*, ev_io* w, int revents) {
  auto* io = reinterpret_cast<Poller::Io*>(w);  // w is the first member
  int events = 0;
  if (revents & EV_READ) events |= Poller::kRead;
  if (revents & EV_WRITE) events |= Poller::kWrite;
  if (revents & EV_ERROR) {  // a bad fd: libev stopped the watcher
    events |= Poller::kError;
    io->events = 0;
  }
  io->cb(io->owner, events);
}

void on_signal(struct ev_loop*, ev_signal* w, int) {
  auto* s = reinterpret_cast<Poller::Signal*>(w);
  s->cb(s->owner, w->signum);
}

}  // namespace

Poller::Poller(Loop& loop) : impl_(std::make_unique<Impl>(Impl{loop})) {
  impl_->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
  if (impl_->ev == nullptr) throw std::runtime_error("weft: libev could not create an event loop");
  ev_set_userdata(impl_->ev, impl_.get());
  ev_async_init(&impl_->async, on_async);
  ev_async_start(impl_->ev, &impl_->async);
  ev_init(&impl_->bound, on_bound);
}

Poller::~Poller() {
  ev_timer_stop(impl_->ev, &impl_->bound);
  ev_async_stop(impl_->ev, &impl_->async);
  ev_loop_destroy(impl_->ev);
}

void Poller::poll(std::int64_t max_wait_ns) {
  struct ev_loop* ev = impl_->ev;
  if (max_wait_ns <= 0) {
    ev_run(ev, EVRUN_NOWAIT);
  } else if (max_wait_ns == INT64_MAX) {
    ev_run(ev, EVRUN_ONCE);  // the async watcher is always active: this blocks
  } else {
    ev_now_update(ev);
    ev_timer_set(&impl_->bound, static_cast<ev_tstamp>(max_wait_ns) * 1e-9, 0.);
    ev_timer_start(ev, &impl_->bound);
    ev_run(ev, EVRUN_ONCE);
    ev_timer_stop(ev, &impl_->bound);
  }
}

void Poller::wakeup() noexcept { ev_async_send(impl_->ev, &impl_->async); }

Poller::Io* Poller::io_create(int fd, IoCallback cb, void* owner) {
  if (fd < 0) throw std::invalid_argument("weft: cannot watch a negative file descriptor");
  auto* io = new Io;
  ev_io_init(&io->w, on_io, fd, 0);
  io->cb = cb;
  io->owner = owner;
  ++impl_->loop.counters().live_watchers;
  return io;
}

bool Poller::io_set(Io* io, int events) noexcept {
  if (io->events == events) return true;
  ev_io_stop(impl_->ev, &io->w);
  io->events = 0;
  if (events == 0) return true;
  // libev asserts that epoll_ctl never sees a bad fd: check before it does.
  // (Only when the watched events change, which a socket's waits rarely do.)
  if (::fcntl(io->w.fd, F_GETFD) == -1 && errno == EBADF) return false;
  io->events = events;
  int ev_events = ((events & kRead) ? EV_READ : 0) | ((events & kWrite) ? EV_WRITE : 0);
  // ev_io_modify, not ev_io_set: the latter marks the fd as new, which makes
  // libev re-add it to epoll (a failing EPOLL_CTL_ADD) on every re-arm.
  ev_io_modify(&io->w, ev_events);
  ev_io_start(impl_->ev, &io->w);
  return true;
}

void Poller::io_destroy(Io* io) noexcept {
  if (io == nullptr) return;
  ev_io_stop(impl_->ev, &io->w);
  --impl_->loop.counters().live_watchers;
  delete io;
}

Poller::Signal* Poller::signal_create(int signo, SignalCallback cb, void* owner, bool internal) {
  auto* s = new Signal;
  ev_signal_init(&s->w, on_signal, signo);
  s->cb = cb;
  s->owner = owner;
  s->internal = internal;
  ev_signal_start(impl_->ev, &s->w);
  if (!internal) ++impl_->loop.counters().live_watchers;
  return s;
}

void Poller::signal_destroy(Signal* s) noexcept {
  if (s == nullptr) return;
  ev_signal_stop(impl_->ev, &s->w);
  if (!s->internal) --impl_->loop.counters().live_watchers;
  delete s;
}

}  // namespace weft::detail
