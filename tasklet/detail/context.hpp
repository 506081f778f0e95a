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
//
// Why the switch is inline, and Boost.Context's entry points are declared
// here rather than included: switch_context sits on the scheduler's hottest
// path, and inlining it into the park/yield code saves a third of a switch's
// cost. The three fcontext functions are Boost.Context's C ABI (unchanged
// since Boost 1.61); context_abi_check.cpp compiles Boost's own header and
// checks that the declarations below match it. No Boost header is included
// outside this seam's .cpp files, and no Boost type appears in any header.

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif
#ifdef WEFT_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace weft::detail {

// Saved state of a suspended execution context. Owned by whoever owns the
// stack; valid while the context is suspended.
// What every switch touches comes last, so that it shares a cache line with
// the scheduler fields that follow a Context in a Fiber.
struct Context {
  const void* stack_bottom = nullptr;  // lowest address of the stack (ASan)
  std::size_t stack_size = 0;          // (ASan)
  void* asan_fake_stack = nullptr;     // ASan fake-stack handle while suspended
  void (*entry)(void*) = nullptr;      // first-run entry point (make_context)
  void* arg = nullptr;
  void* fctx = nullptr;              // Boost.Context fcontext_t (the saved stack pointer)
  void* eh_caught = nullptr;         // saved __cxa_eh_globals::caughtExceptions
  unsigned eh_uncaught = 0;          // saved __cxa_eh_globals::uncaughtExceptions
};

// Prepares `c` to run entry(arg) on [stack_bottom, stack_bottom + size) the first
// time something switches to it. entry must never return: it ends with exit_context.
void make_context(Context& c, void* stack_bottom, std::size_t size, void (*entry)(void*),
                  void* arg) noexcept;

// Suspends the running context into `from` and resumes `to`. Returns when some
// other context switches back to `from`.
inline void switch_context(Context& from, Context& to) noexcept;

// The last switch of a context whose stack is about to be released: like
// switch_context, but `from` is never resumed (ASan drops its fake stack).
[[noreturn]] void exit_context(Context& from, Context& to) noexcept;

// True when built with AddressSanitizer (fiber annotations active).
bool context_sanitized() noexcept;

// Called when a stack's last context is gone and the stack will be reused:
// clears what ASan recorded about the dead frames (no-op without ASan).
void forget_stack(void* stack_bottom, std::size_t size) noexcept;

// ---------------------------------------------------------------- internals

namespace fcontext {
// Boost.Context's transfer_t and entry points (see the note at the top).
struct Transfer {
  void* fctx;
  void* data;
};
extern "C" Transfer jump_fcontext(void* to, void* data);
extern "C" void* make_fcontext(void* stack_top, std::size_t size, void (*fn)(Transfer));
}  // namespace fcontext

// Mirror of the Itanium C++ ABI's __cxa_eh_globals (libsupc++ and libc++abi
// agree on the first two members, which are all a switch saves).
struct EhGlobals {
  void* caught;
  unsigned int uncaught;
};
// This thread's __cxa_eh_globals, cached: fetching it is a call into the runtime.
extern thread_local constinit EhGlobals* tls_eh __attribute__((tls_model("initial-exec")));
EhGlobals* fetch_eh_globals() noexcept;
inline EhGlobals* eh_globals() noexcept {
  EhGlobals* g = tls_eh;
  return __builtin_expect(g != nullptr, 1) ? g : fetch_eh_globals();
}

// Passed through jump_fcontext: the resumed side records where it came from.
struct Switch {
  Context* from;
  Context* to;
};

// Runs on the resumed side of every switch: store the suspended context of
// whoever switched to us, finish the ASan switch, restore our exception state.
inline void on_resume(Context& self, fcontext::Transfer t) noexcept {
  auto* sw = static_cast<Switch*>(t.data);
  sw->from->fctx = t.fctx;
#ifdef WEFT_ASAN
  __sanitizer_finish_switch_fiber(self.asan_fake_stack, &sw->from->stack_bottom,
                                  &sw->from->stack_size);
#endif
  EhGlobals* g = eh_globals();
  g->caught = self.eh_caught;
  g->uncaught = self.eh_uncaught;
}

inline void switch_context(Context& from, Context& to) noexcept {
  EhGlobals* g = eh_globals();
  from.eh_caught = g->caught;
  from.eh_uncaught = g->uncaught;
  Switch sw{&from, &to};
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(&from.asan_fake_stack, to.stack_bottom, to.stack_size);
#endif
  on_resume(from, fcontext::jump_fcontext(to.fctx, &sw));
}

}  // namespace weft::detail
