#pragma once
// Stack overflow on a guarded stack faults on its guard page or guard region
// (sched/detail/stack_pool.hpp): a SIGSEGV handler, running on an alternate
// signal stack (the faulting stack is full), recognises the fault (its address
// or the stack pointer lies below the running tasklet's stack) and stops the
// process with a message naming the tasklet. Faults that are not weft's go to
// the previous handler.

#include <cstddef>

namespace weft::detail {

// Installs the process-wide handler (once) and gives the calling thread an
// alternate signal stack if it has none. Idempotent.
void install_overflow_handler();

// The calling thread's alternate signal stack, owned by its loop: restored to
// the previous one (and freed) when the loop ends.
class AltSignalStack {
 public:
  AltSignalStack();
  ~AltSignalStack();
  AltSignalStack(const AltSignalStack&) = delete;
  AltSignalStack& operator=(const AltSignalStack&) = delete;

 private:
  void* mem_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace weft::detail
