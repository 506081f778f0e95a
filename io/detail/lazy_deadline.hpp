#pragma once
// A call's Timeout, resolved into a Deadline only when the call first has to
// park: most socket calls never park (optimistic IO), and those that park
// several times (read_exactly, write_all, read_line) share one deadline.

#include <new>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"

namespace weft::detail {

class LazyDeadline {
 public:
  explicit LazyDeadline(Timeout t) noexcept : timeout_(t) {}

  // The deadline, resolved on first use. Must be called in a tasklet.
  const Deadline& get() { return get([](Timeout t) { return Deadline::from(t); }); }
  // The same, resolved by make(timeout) (an inline resolver: see Socket::await).
  template <class Make>
  const Deadline& get(Make&& make) {
    if (!resolved_) {
      ::new (static_cast<void*>(&deadline_)) Deadline(make(timeout_));
      resolved_ = true;
    }
    return deadline_;
  }

 private:
  Timeout timeout_;
  bool resolved_ = false;
  union {
    Deadline deadline_;  // made by the first get() (not before: most calls never park)
  };
};

}  // namespace weft::detail
