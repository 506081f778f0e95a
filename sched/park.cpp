#include "sched/park.hpp"

#include <cstddef>
#include <cstdlib>
#include <string>

#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"
#include "sched/errors.hpp"

namespace weft {

using detail::Fiber;
using detail::Loop;

namespace {

Fiber& fiber_of(detail::TimerNode& n) noexcept {
  return *reinterpret_cast<Fiber*>(reinterpret_cast<char*>(&n) - offsetof(Fiber, timer));
}

}  // namespace

bool detail::deadline_pending(const detail::TimerNode& n) noexcept {
  if (n.fire != &on_park_deadline) return true;
  const Fiber& f = fiber_of(const_cast<detail::TimerNode&>(n));
  return f.state == detail::FiberState::parked && f.park_deadline != detail::kNever;
}

void detail::on_park_deadline(detail::TimerNode& n) noexcept {
  Fiber& f = fiber_of(n);
  if (f.state != detail::FiberState::parked || f.park_deadline == detail::kNever) return;  // stale
  if (f.park_deadline > n.deadline) {  // armed for an earlier park: on to this one's deadline
    f.loop->timers().arm(n, f.park_deadline);
    return;
  }
  unpark(f, Wake::timed_out);
}

Wake detail::yield_turn() noexcept {
  Loop& loop = *detail::tls_loop;
  Fiber& self = *loop.running();
  if (__builtin_expect(self.kill_pending, 0) && !self.uninterruptible) {
    self.kill_pending = false;
    return Wake::killed;
  }
  loop.yield_current();
  return self.wake;
}

Wake detail::yield_for_poll() noexcept {
  detail::tls_loop->poll_next();
  return yield_turn();
}

Fiber& current_fiber(std::string_view what) {
  if (Fiber* f = detail::running_tasklet()) return *f;
  throw NotInTasklet("weft: " + std::string(what) +
                     " must be called from a tasklet (inside dispatch())");
}

Deadline Deadline::from(Timeout t) {
  const Fiber* running = detail::running_tasklet();
  const Fiber& f = running != nullptr ? *running : current_fiber("a blocking call");
  return detail::resolve_deadline(f, t);
}

const char* wait_kind_name(WaitKind k) noexcept {
  switch (k) {
    case WaitKind::other: return "park";
    case WaitKind::sleep: return "sleep";
    case WaitKind::join: return "join";
    case WaitKind::receive: return "receive";
    case WaitKind::call: return "call";
    case WaitKind::send: return "send";
    case WaitKind::lock: return "lock";
    case WaitKind::semaphore: return "semaphore";
    case WaitKind::condition: return "condition";
    case WaitKind::event: return "event";
    case WaitKind::channel: return "channel";
    case WaitKind::queue: return "queue";
    case WaitKind::fd_read: return "fd read";
    case WaitKind::fd_write: return "fd write";
    case WaitKind::fd_io: return "fd io";
    case WaitKind::signal: return "signal";
    case WaitKind::to_thread: return "to_thread";
    case WaitKind::deferred: return "deferred";
    case WaitKind::server: return "server";
  }
  return "?";
}

Wake park(const Deadline& d, WaitKind kind, const void* on) noexcept {
  Fiber* self = detail::running_tasklet();
  if (self == nullptr) {
    // A primitive forgot to resolve its Deadline (which throws NotInTasklet) first.
    log(LogLevel::error, "park() called outside a tasklet");
    std::abort();
  }
  return detail::park_on(*detail::current_loop(), *self, d, kind, on);
}

void unpark(Fiber& f, Wake why, bool first) noexcept {
  detail::unpark_on(*detail::current_loop(), f, why, first);
}

namespace {

std::string describe_span(std::int64_t ns) {
  return Timeout(std::chrono::nanoseconds(ns)).describe();
}

}  // namespace

KillShield::KillShield() : fiber_(&current_fiber("KillShield")) {
  saved_ = fiber_->uninterruptible;
  fiber_->uninterruptible = true;
}

KillShield::~KillShield() { fiber_->uninterruptible = saved_; }

void throw_timeout(const Deadline& d, std::string_view what) {
  std::string msg = "weft: ";
  msg += what;
  if (d.from_scope()) {
    msg += " timed out: the enclosing deadline scope of " + describe_span(d.span_ns()) +
           " expired";
    throw DeadlineExceeded(msg, d.ns(), detail::running_tasklet());
  }
  msg += " timed out after " + describe_span(d.span_ns());
  throw TimeoutError(msg);
}

void check_wake(Wake w, const Deadline& d, std::string_view what) {
  if (w == Wake::killed) throw TaskletExit{};
  if (w == Wake::timed_out) throw_timeout(d, what);
}

}  // namespace weft
