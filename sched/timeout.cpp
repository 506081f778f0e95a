#include "sched/timeout.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sched/detail/loop.hpp"
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
  if (t.kind() != Timeout::Kind::after) return;  // never / current keep the outer deadline
  const std::int64_t span = t.duration().count();
  const std::int64_t now = detail::clock_ns();
  const std::int64_t own = span > INT64_MAX - now ? INT64_MAX : now + span;
  if (own < f.scope_deadline) {
    f.scope_deadline = own;
    f.scope_span = span;
  }
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
