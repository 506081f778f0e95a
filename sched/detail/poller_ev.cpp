// libev behind the Poller seam. The only file in weft that includes ev.h.
//
// One ev_loop per weft loop (ev_loop_new), an ev_async for cross-thread
// wake-ups, one ev_timer to bound a blocking poll by the earliest deadline of
// the loop's own timer heap, and ev_io / ev_signal watchers on request. Edge-
// triggered fd watches live in an epoll set of their own, which one ev_io watches: when it is readable, its events are read out with a
// non-blocking epoll_wait (see poller.hpp for why).
// Deadlines themselves are not libev timers: the loop keeps them in its heap so
// that the fiber record carries no libev type.

#include <ev.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "sched/detail/loop.hpp"
#include "sched/detail/poller.hpp"

namespace weft::detail {

struct Poller::Impl {
  Loop& loop;
  struct ev_loop* ev = nullptr;
  ev_async async{};
  ev_timer bound{};
  int edge_fd = -1;  // the epoll set of edge-triggered watches
  ev_io edge_watch{};  // libev's watch on edge_fd
  // Edge watches by slot. The kernel's events name a slot and its generation,
  // not an Io pointer: an fd closed behind its watch's back while a dup keeps
  // it in the set still reports, and must find nothing rather than freed memory.
  // A slot holds what an event needs (generation, callback, owner), so an event
  // costs one load here before the owner's.
  struct EdgeSlot {
    std::uint32_t gen = 0;
    Poller::IoCallback cb = nullptr;  // nullptr: free
    void* owner = nullptr;
  };
  std::vector<EdgeSlot> edge;
  std::vector<std::uint32_t> free_slots;
};

struct Poller::Io {
  ev_io w{};  // level-triggered watches only (w.fd is the fd for both kinds)
  IoCallback cb = nullptr;
  void* owner = nullptr;
  int events = 0;
  bool edge = false;
  std::uint32_t slot = 0;  // edge watches: index in Impl::edge
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

// Edge events per read-out; more wait for the next poll.
constexpr int kEdgeBatch = 256;

void on_edges(struct ev_loop* ev, ev_io*, int) {
  auto* impl = static_cast<Poller::Impl*>(ev_userdata(ev));
  epoll_event batch[kEdgeBatch];
  int n;
  do {
    n = ::epoll_wait(impl->edge_fd, batch, kEdgeBatch, 0);
  } while (n < 0 && errno == EINTR);
  // Callbacks only wake tasklets (none runs before this returns), so no Io of
  // this batch is destroyed while it is read.
  // With thousands of connections the slots and their owners have left the
  // caches: fetch every event's slot, then every owner, before the first
  // callback, so that the misses overlap instead of following one another.
  auto* const slots = impl->edge.data();
  for (int i = 0; i < n; ++i) __builtin_prefetch(&slots[static_cast<std::uint32_t>(batch[i].data.u64)]);
  for (int i = 0; i < n; ++i) __builtin_prefetch(slots[static_cast<std::uint32_t>(batch[i].data.u64)].owner);
  for (int i = 0; i < n; ++i) {
    const std::uint64_t tag = batch[i].data.u64;
    const Poller::Impl::EdgeSlot& slot = slots[static_cast<std::uint32_t>(tag)];
    if (slot.gen != static_cast<std::uint32_t>(tag >> 32)) continue;  // stale
    const std::uint32_t e = batch[i].events;
    int events = 0;
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) events |= Poller::kRead;
    if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) events |= Poller::kHangUp;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) events |= Poller::kWrite;
    slot.cb(slot.owner, events);
  }
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
  // The edge-triggered set, made with the loop (an fd for the loop's life, as
  // libev's own epoll set is).
  impl_->edge_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (impl_->edge_fd < 0) {
    const int err = errno;
    ev_async_stop(impl_->ev, &impl_->async);
    ev_loop_destroy(impl_->ev);
    throw std::system_error(err, std::generic_category(), "weft: epoll_create1");
  }
  ev_io_init(&impl_->edge_watch, on_edges, impl_->edge_fd, EV_READ);
  ev_io_start(impl_->ev, &impl_->edge_watch);
}

Poller::~Poller() {
  ev_io_stop(impl_->ev, &impl_->edge_watch);
  ::close(impl_->edge_fd);
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

Poller::Io* Poller::io_create_edge(int fd, IoCallback cb, void* owner) {
  if (fd < 0) throw std::invalid_argument("weft: cannot watch a negative file descriptor");
  Impl& im = *impl_;
  if (im.free_slots.empty()) {
    im.free_slots.reserve(im.edge.size() + 1);  // so that giving the slot back cannot throw
    im.edge.emplace_back();  // (first: a failure below leaves a spare slot, harmless)
    im.free_slots.push_back(static_cast<std::uint32_t>(im.edge.size() - 1));
  }
  auto io = std::make_unique<Io>();
  io->cb = cb;
  io->owner = owner;
  io->edge = true;
  io->w.fd = fd;
  io->slot = im.free_slots.back();
  epoll_event e{};
  e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  e.data.u64 = (std::uint64_t{im.edge[io->slot].gen} << 32) | io->slot;
  if (::epoll_ctl(im.edge_fd, EPOLL_CTL_ADD, fd, &e) != 0) {
    const int err = errno;
    if (err == EBADF) return nullptr;
    throw std::system_error(err, std::generic_category(), "weft: epoll_ctl(EPOLL_CTL_ADD)");
  }
  im.free_slots.pop_back();
  im.edge[io->slot].cb = cb;
  im.edge[io->slot].owner = owner;
  ++impl_->loop.counters().live_watchers;
  return io.release();
}

bool Poller::io_set(Io* io, int events) noexcept {
  if (io->edge) return true;
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
  if (io->edge) {
    // Fails harmlessly when the fd was closed already (the kernel dropped it,
    // or a dup keeps a registration whose events the new generation ignores).
    Impl& im = *impl_;
    epoll_event unused{};
    ::epoll_ctl(im.edge_fd, EPOLL_CTL_DEL, io->w.fd, &unused);
    Impl::EdgeSlot& slot = im.edge[io->slot];
    slot.cb = nullptr;
    slot.owner = nullptr;
    ++slot.gen;
    im.free_slots.push_back(io->slot);  // capacity reserved when the slot was made
  } else {
    ev_io_stop(impl_->ev, &io->w);
  }
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
