#pragma once
// The tasklet layer's side of the loop: its per-loop state (stack pool, id
// counter), the hooks the scheduler calls, and the non-template cores of
// spawn and join that tasklet_impl.hpp's templates call into.

#include <cstddef>
#include <cstdint>
#include <string>
#include <typeinfo>

#include "sched/detail/loop.hpp"
#include "sched/park.hpp"
#include "tasklet/detail/overflow.hpp"
#include "tasklet/detail/record.hpp"
#include "tasklet/detail/record_pool.hpp"
#include "tasklet/detail/stack_pool.hpp"
#include "sched/timeout.hpp"

namespace weft {
class JoinError;
class Tasklet;
struct SpawnOptions;
}

namespace weft::detail {

struct TaskletRuntime final : LoopExtension {
  explicit TaskletRuntime(std::size_t default_stack) : stacks(default_stack) {}
  AltSignalStack alt_stack;  // where the overflow handler runs
  StackPool stacks;
  RecordPool records;
  std::uint64_t next_id = 1;
};

// The hooks the scheduler needs from this layer.
const LoopHooks& tasklet_hooks() noexcept;
// Creates this layer's state on `loop` (and the guard-page overflow handler).
void install_runtime(Loop& loop, std::size_t default_stack);
// This layer's state on the current loop. Throws std::logic_error outside dispatch().
TaskletRuntime& runtime(const char* what);
// The same, or nullptr when there is none (no loop, or a loop without tasklets).
TaskletRuntime* find_runtime() noexcept;

// Registers a freshly allocated record (ids, tree, run queue) and returns the
// first handle. Deletes `r` and rethrows if that fails.
Tasklet start_tasklet(TaskletRecord* r, SpawnOptions&& options, const std::type_info& named_after);

// Waits (under one deadline, resolved on first need) for tasklets to finish.
class JoinWait {
 public:
  explicit JoinWait(Timeout t) noexcept : timeout_(t) {}
  // Returns once r finished; throws TimeoutError / TaskletExit / std::logic_error.
  void wait(TaskletRecord& r);

 private:
  Timeout timeout_;
  bool resolved_ = false;
  Deadline deadline_ = Deadline::never();
};

// Waits for r, marks its end observed, throws its JoinError if it failed.
void join_wait(TaskletRecord& r, Timeout t);
// The JoinError for a failed r (marks it observed).
JoinError make_join_error(TaskletRecord& r);
// The tasklet's name, derived on first use.
const std::string& name_of(TaskletRecord& r);
// Logs the exception in flight as a helper's failure ("interval 'tick': ...").
// Must be called inside a catch block.
void log_helper_failure(const char* helper) noexcept;
[[noreturn]] void throw_type_mismatch(TaskletRecord& r, const std::type_info& wanted);
[[noreturn]] void throw_value_taken(TaskletRecord& r);

}  // namespace weft::detail
