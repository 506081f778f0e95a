#pragma once
// The tasklet layer's side of the loop, for this layer's own files: the hooks
// the scheduler calls, its per-loop state and the record helpers. (Other
// layers use tasklet/extension.hpp; the templates use spawn.hpp.)

#include <cstddef>

#include "sched/extension.hpp"
#include "tasklet/detail/record.hpp"
#include "tasklet/extension.hpp"

namespace weft::detail {

class RecordPool;

// The hooks the scheduler needs from this layer.
const LoopHooks& tasklet_hooks() noexcept;
// Creates this layer's state on `loop`.
void install_runtime(Loop& loop);
// The current loop's record pool. Throws std::logic_error outside dispatch()
// (naming `what`), or on a loop without tasklets.
RecordPool& record_pool(const char* what);
// The same, or nullptr when there is none (no loop, or a loop without tasklets).
RecordPool* find_record_pool() noexcept;

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

}  // namespace weft::detail
