#pragma once
// The exceptions every blocking call in weft can throw.

#include "weft/sched/config.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace weft {

// A blocking call's timeout (or the enclosing DeadlineScope) passed. The
// message says which call and which timeout, e.g. "weft: join of tasklet
// 'worker-3' timed out after 2 s". When a scope's deadline bound the call, the
// exception is a DeadlineExceeded.
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The TimeoutError of a blocking call whose enclosing DeadlineScope's deadline
// passed (not the call's own timeout). DeadlineScope::fired(e) says whether
// it was that scope's (gevent's `except Timeout as t: if t is not mine:
// raise`; Go's context.DeadlineExceeded):
//
//   weft::DeadlineScope request(2.0);
//   try {
//     weft::call(db, Query{}, 0.5);
//   } catch (const weft::DeadlineExceeded& e) {
//     if (!request.fired(e)) throw;            // an outer scope's: not ours to handle
//     ...                                      // the request's 2 s are up
//   } catch (const weft::TimeoutError&) {
//     ...                                      // this call's own 0.5 s
//   }
class DeadlineExceeded : public TimeoutError {
 public:
  // `deadline_ns`: the scope's deadline on the loop clock; `fiber`: the
  // tasklet whose scope it was (an identity, never dereferenced).
  DeadlineExceeded(const std::string& what, std::int64_t deadline_ns, const void* fiber)
      : TimeoutError(what), deadline_ns_(deadline_ns), fiber_(fiber) {}

  // The scope's deadline on the loop clock (weft::Clock).
  std::chrono::steady_clock::time_point deadline() const noexcept {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns_));
  }

 private:
  friend class DeadlineScope;
  std::int64_t deadline_ns_;
  const void* fiber_;
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

// Work handed to another loop (spawn_on) could not run there: that loop had
// ended, or ended first. The message names the loop.
class LoopEnded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace weft
