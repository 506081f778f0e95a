#include "sched/timeout.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sched/detail/loop.hpp"
#include "sched/errors.hpp"
#include "sched/park.hpp"

namespace weft {

Timeout Timeout::from_seconds(double seconds) {
  if (std::isnan(seconds)) throw std::invalid_argument("weft: a timeout of NaN seconds");
  if (seconds == -1.0) return never;
  if (seconds <= 0) return Timeout(std::chrono::nanoseconds(0));
  return Timeout(std::chrono::duration<double>(seconds));
}

double Timeout::seconds() const noexcept {
  if (kind_ != Kind::after) return -1.0;
  return static_cast<double>(ns_) * 1e-9;
}

std::string Timeout::describe() const {
  switch (kind_) {
    case Kind::current:
      return "current";
    case Kind::never:
      return "never";
    case Kind::after:
      break;
  }
  char buf[64];
  if (ns_ >= 1000000000) {
    std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(ns_) * 1e-9);
  } else if (ns_ >= 1000000) {
    std::snprintf(buf, sizeof buf, "%g ms", static_cast<double>(ns_) * 1e-6);
  } else if (ns_ >= 1000) {
    std::snprintf(buf, sizeof buf, "%g us", static_cast<double>(ns_) * 1e-3);
  } else {
    std::snprintf(buf, sizeof buf, "%lld ns", static_cast<long long>(ns_));
  }
  return buf;
}

DeadlineScope::DeadlineScope(Timeout t) {
  detail::Fiber& f = current_fiber("DeadlineScope");
  fiber_ = &f;
  saved_deadline_ = f.scope_deadline;
  saved_span_ = f.scope_span;
  own_ = detail::kNever;
  binds_ = false;
  if (t.kind() != Timeout::Kind::after) return;  // never / current keep the outer deadline
  const std::int64_t span = t.duration().count();
  const std::int64_t now = detail::clock_ns();
  own_ = span > INT64_MAX - now ? INT64_MAX : now + span;
  if (own_ < f.scope_deadline) {
    f.scope_deadline = own_;
    f.scope_span = span;
    binds_ = true;
  }
}

bool DeadlineScope::fired(const TimeoutError& e) const noexcept {
  // Within one tasklet at most one live scope binds a given deadline: an inner
  // scope binds only when its deadline is strictly earlier than the outer one.
  const auto* d = dynamic_cast<const DeadlineExceeded*>(&e);
  return d != nullptr && binds_ && d->fiber_ == fiber_ && d->deadline_ns_ == own_;
}

bool DeadlineScope::expired() const noexcept {
  return own_ != detail::kNever && detail::clock_ns() >= own_;
}

Clock::time_point DeadlineScope::deadline() const noexcept {
  if (own_ == detail::kNever) return Clock::time_point::max();
  return Clock::time_point(std::chrono::nanoseconds(own_));
}

DeadlineScope::~DeadlineScope() {
  auto* f = static_cast<detail::Fiber*>(fiber_);
  f->scope_deadline = saved_deadline_;
  f->scope_span = saved_span_;
}

Timeout current_timeout() {
  const detail::Fiber& f = current_fiber("current_timeout()");
  if (f.scope_deadline == detail::kNever) return never;
  return Timeout(std::chrono::nanoseconds(f.scope_deadline - detail::clock_ns()));
}

Clock::time_point now() noexcept {
  return Clock::time_point(std::chrono::nanoseconds(detail::clock_ns()));
}

}  // namespace weft
