// libev behind the Poller seam. The only file in weft that includes ev.h.
//
// Which epoll set the loop blocks in. Edge-triggered fd watches (sockets; see
// poller.hpp for why) live in an epoll set of the loop's own, and nearly every
// event comes from them, so that set is where a poll waits: one epoll_wait,
// with the loop's own timeout (deadlines are the loop's heap, not libev
// timers). The set also holds, level-triggered, two more fds: libev's own
// epoll set (its backend fd), which has the level-triggered fd watches, and an
// eventfd that wakes the loop from other threads and from signal handlers.
// libev runs (ev_run, never blocking) only when its fd is reported, or when
// one of its watches changed since it last ran (libev applies changes to its
// set when it runs: a wait before that would miss the new watch), or while it
// watches a regular file (which libev treats as always ready, outside any
// epoll set).
//
// The other order (libev's set outermost, the edge set inside it as one fd)
// cost one epoll_wait more per blocking wake-up: the outer set only says that
// the inner one has events, and a second call reads them. It was the order
// until libev's wake-ups had to go: libev writes its async/signal pipe only
// while libev itself blocks, so ev_async and ev_signal are replaced by the
// eventfd and SignalSet (signal_set.hpp).
//
// libev has no call that names its backend fd; ev_embed, which watches one
// loop from another, reads it into its (documented as private) io watcher at
// ev_embed_start, so a probe embed finds it.

#include <ev.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "sched/detail/loop.hpp"
#include "sched/detail/poller.hpp"
#include "sched/detail/signal_set.hpp"

namespace weft::detail {

struct Poller::Impl {
  explicit Impl(Loop& l) : loop(l) {}
  Loop& loop;
  struct ev_loop* ev = nullptr;
  int edge_fd = -1;  // the epoll set a poll waits in (see the top of this file)
  int wake_fd = -1;  // eventfd: wakeup() and signal handlers write it
  std::atomic<bool> wake_pending{false};  // written since the loop last read it
  bool saw_wake = false;   // in this poll's events: wake_fd
  bool saw_libev = false;  // in this poll's events: libev's set
  bool libev_changed = false;  // a libev watch changed since libev last ran
  int file_watches = 0;  // active libev watches on regular files (always ready)
  unsigned long dispatched = 0;  // libev callbacks run (a poll learns whether one ran)
  // Edge watches by slot. The kernel's events name a slot and its generation,
  // not an Io pointer: an fd closed behind its watch's back while a dup keeps
  // it in the set still reports, and must find nothing rather than freed memory.
  // A slot holds what an event needs (generation, callback, owner), so an event
  // costs one load here before the owner's. Slots 0 and 1 are wake_fd's and
  // libev's: their callbacks only note the event, handled after the batch.
  struct EdgeSlot {
    std::uint32_t gen = 0;
    Poller::IoCallback cb = nullptr;  // nullptr: free
    void* owner = nullptr;
  };
  std::vector<EdgeSlot> edge;
  std::vector<std::uint32_t> free_slots;
  std::optional<SignalSet> signals;  // made with wake_fd
};

struct Poller::Io {
  ev_io w{};  // level-triggered watches only (w.fd is the fd for both kinds)
  IoCallback cb = nullptr;
  void* owner = nullptr;
  int events = 0;
  bool edge = false;
  bool file = false;  // level watch on a regular file or directory (active: counted)
  std::uint32_t slot = 0;  // edge watches: index in Impl::edge
};

struct Poller::Signal : SignalSet::Watch {
  bool internal = false;
};

namespace {

Poller::Impl& impl_of(struct ev_loop* ev) { return *static_cast<Poller::Impl*>(ev_userdata(ev)); }

void on_io(struct ev_loop* ev, ev_io* w, int revents) {
  ++impl_of(ev).dispatched;
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

// The callbacks of the two reserved edge slots.
constexpr std::uint32_t kWakeSlot = 0;
constexpr std::uint32_t kLibevSlot = 1;
void on_wake_fd(void* impl, int) noexcept { static_cast<Poller::Impl*>(impl)->saw_wake = true; }
void on_libev_fd(void* impl, int) noexcept { static_cast<Poller::Impl*>(impl)->saw_libev = true; }

// Events per epoll_wait; more wait for the next poll.
constexpr int kEdgeBatch = 256;

void dispatch_edges(Poller::Impl& impl, const epoll_event* batch, int n) noexcept {
  // Callbacks only wake tasklets or note an event (none runs before this
  // returns), so no Io of this batch is destroyed while it is read.
  // With thousands of connections the slots and their owners have left the
  // caches: fetch every event's slot, then every owner, before the first
  // callback, so that the misses overlap instead of following one another.
  auto* const slots = impl.edge.data();
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

// Runs libev once without blocking. Returns true when a callback ran.
bool run_libev(Poller::Impl& impl) {
  impl.libev_changed = false;  // (before: what its callbacks change waits for the next run)
  const unsigned long before = impl.dispatched;
  ev_run(impl.ev, EVRUN_NOWAIT);
  return impl.dispatched != before;
}

// Reads the wake-up eventfd, then runs what woke the loop: signals and posts.
void take_wake(Poller::Impl& impl) {
  std::uint64_t count;
  const ssize_t ignored = ::read(impl.wake_fd, &count, sizeof count);
  (void)ignored;
  impl.wake_pending.store(false);  // a wakeup() from now on writes again
  impl.signals->dispatch();
  impl.loop.drain_remote();
}

// libev's backend fd (its epoll set), or -1. See the top of this file.
int libev_backend_fd(struct ev_loop* ev) noexcept {
  if ((ev_backend(ev) & ev_embeddable_backends()) == 0) return -1;
  struct ev_loop* probe = ev_loop_new(static_cast<unsigned>(EVBACKEND_SELECT) | EVFLAG_NOENV);
  if (probe == nullptr) return -1;
  ev_embed embed;
  ev_embed_init(&embed, nullptr, ev);
  ev_embed_start(probe, &embed);
  const int fd = embed.io.fd;
  ev_embed_stop(probe, &embed);
  ev_loop_destroy(probe);
  return fd;
}

void add_to_set(int set, int fd, std::uint32_t events, std::uint64_t tag, const char* what) {
  epoll_event e{};
  e.events = events;
  e.data.u64 = tag;
  if (::epoll_ctl(set, EPOLL_CTL_ADD, fd, &e) != 0) {
    throw std::system_error(errno, std::generic_category(), std::string("weft: epoll_ctl(EPOLL_CTL_ADD) of ") + what);
  }
}

bool is_file(int fd) noexcept {
  struct stat st;
  return ::fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

}  // namespace

Poller::Poller(Loop& loop) : impl_(std::make_unique<Impl>(loop)) {
  Impl& im = *impl_;
  struct Undo {  // a constructor that throws has no destructor to run
    Impl* im;
    ~Undo() {
      if (im == nullptr) return;
      if (im->edge_fd >= 0) ::close(im->edge_fd);
      if (im->wake_fd >= 0) ::close(im->wake_fd);
      if (im->ev != nullptr) ev_loop_destroy(im->ev);
    }
  } undo{&im};
  im.ev = ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) | EVFLAG_NOENV);
  if (im.ev == nullptr) throw std::runtime_error("weft: libev could not create an event loop (epoll)");
  ev_set_userdata(im.ev, &im);
  const int libev_fd = libev_backend_fd(im.ev);
  if (libev_fd < 0) throw std::runtime_error("weft: libev's epoll set cannot be found (ev_embed)");
  im.edge_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (im.edge_fd < 0) throw std::system_error(errno, std::generic_category(), "weft: epoll_create1");
  im.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (im.wake_fd < 0) throw std::system_error(errno, std::generic_category(), "weft: eventfd");
  im.edge.resize(2);
  im.edge[kWakeSlot] = {0, on_wake_fd, &im};
  im.edge[kLibevSlot] = {0, on_libev_fd, &im};
  add_to_set(im.edge_fd, im.wake_fd, EPOLLIN, kWakeSlot, "the loop's wake-up eventfd");
  add_to_set(im.edge_fd, libev_fd, EPOLLIN, kLibevSlot, "libev's epoll set");
  im.signals.emplace(im.wake_fd);
  undo.im = nullptr;
}

Poller::~Poller() {
  Impl& im = *impl_;
  im.signals.reset();  // before wake_fd goes: no handler writes it after this
  ev_loop_destroy(im.ev);
  ::close(im.wake_fd);
  ::close(im.edge_fd);
}

void Poller::poll(std::int64_t max_wait_ns) {
  Impl& im = *impl_;
  if ((im.libev_changed || im.file_watches > 0) && run_libev(im)) max_wait_ns = 0;
  int timeout_ms;
  if (max_wait_ns <= 0) {
    timeout_ms = 0;
  } else if (max_wait_ns == INT64_MAX) {
    timeout_ms = -1;  // until an event
  } else {
    // Never early (as libev): rounded up; past INT_MAX ms the loop polls again.
    timeout_ms = static_cast<int>(std::min<std::int64_t>((max_wait_ns + 999'999) / 1'000'000, INT_MAX));
  }
  epoll_event batch[kEdgeBatch];
  const int n = ::epoll_wait(im.edge_fd, batch, kEdgeBatch, timeout_ms);
  // n < 0: EINTR (a signal's handler has written wake_fd: the next poll sees it).
  if (n > 0) dispatch_edges(im, batch, n);
  // After the batch: posted functions and libev's callbacks may do anything,
  // also make and destroy edge watches.
  if (im.saw_wake) {
    im.saw_wake = false;
    take_wake(im);
  }
  if (im.saw_libev) {
    im.saw_libev = false;
    run_libev(im);
  }
}

void Poller::wakeup() noexcept {
  Impl& im = *impl_;
  if (im.wake_pending.exchange(true)) return;  // written, not read yet
  const std::uint64_t one = 1;
  const ssize_t ignored = ::write(im.wake_fd, &one, sizeof one);
  (void)ignored;
}

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

// Stops a level watch (libev applies it at its next run).
static void stop_level(Poller::Impl& im, Poller::Io* io) noexcept {
  if (io->events != 0 && io->file) --im.file_watches;
  ev_io_stop(im.ev, &io->w);
  io->events = 0;
  im.libev_changed = true;
}

bool Poller::io_set(Io* io, int events) noexcept {
  if (io->edge) return true;
  if (io->events == events) return true;
  Impl& im = *impl_;
  stop_level(im, io);
  if (events == 0) return true;
  // libev asserts that epoll_ctl never sees a bad fd: check before it does.
  // (Only when the watched events change, which a socket's waits rarely do.)
  if (::fcntl(io->w.fd, F_GETFD) == -1 && errno == EBADF) return false;
  io->events = events;
  io->file = is_file(io->w.fd);
  if (io->file) ++im.file_watches;
  int ev_events = ((events & kRead) ? EV_READ : 0) | ((events & kWrite) ? EV_WRITE : 0);
  // ev_io_modify, not ev_io_set: the latter marks the fd as new, which makes
  // libev re-add it to epoll (a failing EPOLL_CTL_ADD) on every re-arm.
  ev_io_modify(&io->w, ev_events);
  ev_io_start(im.ev, &io->w);
  return true;
}

void Poller::io_destroy(Io* io) noexcept {
  if (io == nullptr) return;
  Impl& im = *impl_;
  if (io->edge) {
    // Fails harmlessly when the fd was closed already (the kernel dropped it,
    // or a dup keeps a registration whose events the new generation ignores).
    epoll_event unused{};
    ::epoll_ctl(im.edge_fd, EPOLL_CTL_DEL, io->w.fd, &unused);
    Impl::EdgeSlot& slot = im.edge[io->slot];
    slot.cb = nullptr;
    slot.owner = nullptr;
    ++slot.gen;
    im.free_slots.push_back(io->slot);  // capacity reserved when the slot was made
  } else {
    stop_level(im, io);
  }
  --im.loop.counters().live_watchers;
  delete io;
}

Poller::Signal* Poller::signal_create(int signo, SignalCallback cb, void* owner, bool internal) {
  auto s = std::make_unique<Signal>();
  s->cb = cb;
  s->owner = owner;
  s->signo = signo;
  s->internal = internal;
  impl_->signals->add(*s);
  if (!internal) ++impl_->loop.counters().live_watchers;
  return s.release();
}

void Poller::signal_destroy(Signal* s) noexcept {
  if (s == nullptr) return;
  impl_->signals->remove(*s);
  if (!s->internal) --impl_->loop.counters().live_watchers;
  delete s;
}

}  // namespace weft::detail
