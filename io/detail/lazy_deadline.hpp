#pragma once
// A call's Timeout, resolved into a Deadline only when the call first has to
// park: most socket calls never park (optimistic IO), and those that park
// several times (read_exactly, write_all, read_line) share one deadline.

#include <chrono>

#include "sched/park.hpp"
#include "sched/timeout.hpp"

namespace weft::detail {

class LazyDeadline {
 public:
  explicit LazyDeadline(Timeout t) noexcept : timeout_(t) {}

  // The deadline, resolved on first use. Must be called in a tasklet.
  const Deadline& get() {
    if (!resolved_) {
      deadline_ = Deadline::from(timeout_);
      resolved_ = true;
    }
    return deadline_;
  }
  // What is left of it, as a Timeout for a single wait.
  Timeout remaining() {
    const Deadline& d = get();
    if (d.is_never()) return never;
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            weft::now().time_since_epoch())
                            .count();
    return Timeout(std::chrono::nanoseconds(d.ns() - now_ns));
  }

 private:
  Timeout timeout_;
  Deadline deadline_ = Deadline::never();
  bool resolved_ = false;
};

}  // namespace weft::detail
