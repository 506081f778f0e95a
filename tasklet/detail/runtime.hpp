#pragma once
// The tasklet layer's side of the loop, for this layer's own files: the hooks
// the scheduler calls and the join core. (Other layers use
// tasklet/extension.hpp; the templates use spawn.hpp.)

#include "weft/sched/extension.hpp"
#include "weft/tasklet/detail/record.hpp"
#include "weft/tasklet/extension.hpp"

namespace weft::detail {

// The hooks the scheduler needs from this layer.
const LoopHooks& tasklet_hooks() noexcept;

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
