#pragma once
// JoinError: what joining a failed tasklet throws.

#include "weft/sched/config.hpp"

#include <exception>
#include <stdexcept>
#include <string_view>

namespace weft {

class Tasklet;
namespace detail {
struct TaskletRecord;
}

// Thrown by join (and put in place of a failed result by join_all): carries the
// tasklet and the exception that ended it. When the tasklet was killed, the
// cause is a TaskletExit. Holds a reference to the tasklet (loop-thread only),
// except when it comes from a LoopTasklet (spawn_on), whose tasklet is on another loop.
class JoinError : public std::runtime_error {
 public:
  JoinError(const Tasklet& t, std::exception_ptr cause);
  // For a tasklet of another loop (spawn_on): `who` names it; tasklet() is empty.
  JoinError(std::string_view who, std::exception_ptr cause);
  JoinError(const JoinError& o) noexcept;
  JoinError& operator=(const JoinError& o) noexcept;
  ~JoinError() override;

  // The tasklet that failed.
  Tasklet tasklet() const noexcept;
  std::exception_ptr cause() const noexcept { return cause_; }
  // True when the cause is TaskletExit (the tasklet was killed).
  bool killed() const noexcept;
  [[noreturn]] void rethrow_cause() const { std::rethrow_exception(cause_); }

 private:
  detail::TaskletRecord* rec_;
  std::exception_ptr cause_;
};

}  // namespace weft
