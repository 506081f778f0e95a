#pragma once
// The context-switch seam: the only code in weft that touches Boost.Context.
//
// Three operations, as in marl and folly: make a context on a stack, switch to
// a context, and the final switch away from a context that will never resume.
// The thread's own stack is adopted implicitly: a default-constructed Context
// is filled in the first time the running thread switches away from it.
//
// What a switch saves beyond registers (why this is more than jump_fcontext):
//  - the C++ runtime's per-thread exception state (__cxa_eh_globals: the stack
//    of caught exceptions and the uncaught count). Without it, a tasklet that
//    parks inside a catch block and another that throws would corrupt each
//    other's `throw;` and std::current_exception().
//  - AddressSanitizer's notion of the current stack (fiber annotations), so
//    ASan does not report false stack-buffer-overflows after a switch.

#include <cstddef>

namespace weft::detail {

// Saved state of a suspended execution context. Owned by whoever owns the
// stack; valid while the context is suspended.
struct Context {
  void* fctx = nullptr;              // Boost.Context fcontext_t (the saved stack pointer)
  void* eh_caught = nullptr;         // saved __cxa_eh_globals::caughtExceptions
  unsigned eh_uncaught = 0;          // saved __cxa_eh_globals::uncaughtExceptions
  const void* stack_bottom = nullptr;  // lowest address of the stack (ASan)
  std::size_t stack_size = 0;          // (ASan)
  void* asan_fake_stack = nullptr;     // ASan fake-stack handle while suspended
  void (*entry)(void*) = nullptr;      // first-run entry point (make_context)
  void* arg = nullptr;
};

// Prepares `c` to run entry(arg) on [stack_bottom, stack_bottom + size) the first
// time something switches to it. entry must never return: it ends with exit_context.
void make_context(Context& c, void* stack_bottom, std::size_t size, void (*entry)(void*),
                  void* arg) noexcept;

// Suspends the running context into `from` and resumes `to`. Returns when some
// other context switches back to `from`.
void switch_context(Context& from, Context& to) noexcept;

// The last switch of a context whose stack is about to be released: like
// switch_context, but `from` is never resumed (ASan drops its fake stack).
[[noreturn]] void exit_context(Context& from, Context& to) noexcept;

// True when built with AddressSanitizer (fiber annotations active).
bool context_sanitized() noexcept;

// Called when a stack's last context is gone and the stack will be reused:
// clears what ASan recorded about the dead frames (no-op without ASan).
void forget_stack(void* stack_bottom, std::size_t size) noexcept;

}  // namespace weft::detail
