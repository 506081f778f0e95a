#pragma once
// The exceptions every blocking call in weft can throw.

#include "weft/sched/config.hpp"

#include <stdexcept>
#include <string>

namespace weft {

// A blocking call's timeout (or the enclosing DeadlineScope) passed. The
// message says which call and which timeout, e.g. "weft: join of tasklet
// 'worker-3' timed out after 2 s".
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Delivered by Tasklet::kill() at the victim's suspension point. It does not
// derive from std::exception, so `catch (const std::exception&)` cannot swallow
// it; catch it explicitly (or with `catch (...)`) only to clean up and rethrow,
// or deliberately to survive a kill.
class TaskletExit {
 public:
  const char* what() const noexcept { return "TaskletExit"; }
};

// A call that must run inside a tasklet (it may park) was made from outside
// one, e.g. from a Timer callback or before dispatch().
class NotInTasklet : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace weft
