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
//  - ThreadSanitizer's notion of the current thread: each made context is a
//    TSan fiber, so a report's stacks are the running tasklet's alone (not a
//    mix of every tasklet that ran on the thread), and each switch orders
//    what the two contexts did (they run one after the other on one thread).
//
// The sanitizer annotations are decided at run time, not when weft is
// compiled: a program built with -fsanitize=address (or thread) carries the
// sanitizer's runtime even when it links a release libweft, and its own
// frames live on tasklet stacks. context.cpp reaches the runtimes' entry
// points through weak references; when they resolve, every switch takes the
// annotated (out-of-line) path, decided before main() and never changed.
// Without a runtime a switch pays one predicted branch.
//
// Why the switch is inline, and Boost.Context's entry points are declared
// here rather than included: switch_context sits on the scheduler's hottest
// path, and inlining it into the park/yield code saves a third of a switch's
// cost. The three fcontext functions are Boost.Context's C ABI (unchanged
// since Boost 1.61); context_abi_check.cpp compiles Boost's own header and
// checks that the declarations below match it. On x86-64 the switch enters
// jump_fcontext with a jump instead of a call (see jump() below: the return
// stack stays in step). No Boost header is included
// outside this seam's .cpp files, and no Boost type appears in any header.

#include <cstddef>

// Whether this code is compiled with a sanitizer: the stack pool's layout
// under ASan (stack_pool.hpp) and the tests use it; the switch annotations
// do not (see above).
#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

namespace weft::detail {

// Saved state of a suspended execution context. Owned by whoever owns the
// stack; valid while the context is suspended.
// What every switch touches (fctx, eh_saved) comes first, so that a Fiber can
// place it in the cache line of its own per-wake fields (see fiber.hpp); the
// rest is read when a context is made or a sanitizer annotates a switch.
struct Context {
  void* fctx = nullptr;              // Boost.Context fcontext_t (the saved stack pointer)
  bool eh_saved = false;             // eh_* hold state to restore when resumed
  unsigned eh_uncaught = 0;          // saved __cxa_eh_globals::uncaughtExceptions
  void* eh_caught = nullptr;         // saved __cxa_eh_globals::caughtExceptions
  const void* stack_bottom = nullptr;  // lowest address of the stack (ASan)
  std::size_t stack_size = 0;          // (ASan)
  // A process carries at most one of the two runtimes. The layout is the same
  // whatever the build's or the program's sanitizer flags.
  union {
    void* asan_fake_stack = nullptr;  // ASan fake-stack handle while suspended
    // TSan's fiber for this context: made by make_context and destroyed by its
    // exit_context; for the thread's own context, the thread's (set at its
    // first switch away, never destroyed).
    void* tsan_fiber;
  };
  // (The entry point and argument of a made context wait at the top of its
  // stack until its first run: see make_context.)
};

// Prepares `c` to run entry(arg) on [stack_bottom, stack_bottom + size) the first
// time something switches to it. entry must never return: it ends with exit_context.
void make_context(Context& c, void* stack_bottom, std::size_t size, void (*entry)(void*),
                  void* arg) noexcept;

// Suspends the running context into `from` and resumes `to`. Returns when some
// other context switches back to `from`. Always inline (its one caller is
// Loop::switch_to, itself always inline): LTO made it a call, one more frame
// and return address between a parked fiber's frames and its saved registers.
[[gnu::always_inline]] inline void switch_context(Context& from, Context& to) noexcept;

// The last switch of a context whose stack is about to be released: like
// switch_context, but `from` is never resumed (ASan drops its fake stack, TSan
// its fiber). `from` must have been made by make_context.
[[noreturn]] void exit_context(Context& from, Context& to) noexcept;

// True when the program runs under AddressSanitizer: weft built with it, or
// a program built with it (its runtime present) that links weft.
bool context_sanitized() noexcept;

// Called when a stack's last context is gone and the stack will be reused,
// and on a new mapping: clears what ASan recorded about dead frames there
// (no-op without ASan's runtime).
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

// jump_fcontext(to, data), entered with a jump rather than a call.
//
// jump_fcontext leaves through `jmp *` to the resumed context's return
// address, never through `ret`. Entered with `call`, each switch thus pushes a
// return-stack-buffer entry that is never popped, and the resumed context's
// next `ret` is predicted from it: one mispredicted return per switch. Pushing
// the return address by hand and jumping keeps the return stack in step with
// the real one. x86-64 System V only; elsewhere it is a plain call.
#if defined(__x86_64__) && defined(__ELF__) && !defined(WEFT_PLAIN_JUMP)
#define WEFT_JUMP_ASM 1
// The landing is reached by jump_fcontext's indirect jump: mark it as a
// branch target when indirect-branch tracking is compiled in.
#if defined(__CET__) && (__CET__ & 1)
#define WEFT_JUMP_LANDING "endbr64\n\t"
#else
#define WEFT_JUMP_LANDING ""
#endif
// Caller-saved under the ABI too, when the compiler may use them.
#ifdef __AVX512F__
#define WEFT_JUMP_AVX512_CLOBBERS                                                              \
  , "k1", "k2", "k3", "k4", "k5", "k6", "k7", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20",     \
      "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", \
      "xmm31"
#else
#define WEFT_JUMP_AVX512_CLOBBERS
#endif
#endif

// How far below its frame's stack pointer jump() leaves the switch's own
// frame, for the unwinder (backtrace.cpp): nothing (see jump()).
inline constexpr std::size_t kSwitchRedZone = 0;

inline fcontext::Transfer jump(void* to, void* data) noexcept {
#ifdef WEFT_JUMP_ASM
  register void* rdi asm("rdi") = to;
  register void* rsi asm("rsi") = data;
  register void* rax asm("rax");
  register void* rdx asm("rdx");
  // Push where to come back and jump, right below the stack pointer, as a
  // call would: the red zone (the 128 bytes below it) holds nothing here,
  // because GCC and Clang keep data there only in leaf functions, and every
  // function that holds this jump also makes calls (switch_context:
  // save_eh, switch_annotated; the others: context.cpp). Stepping over the
  // red zone would put the switch's saved registers in two more cache lines
  // of the stack, cold at each wake-up (docs/sched.md, "One wake-up's cost").
  // jump_fcontext saves the callee-saved registers (and the MXCSR/x87
  // control words), so everything else is clobbered.
  asm volatile(
      "lea 1f(%%rip), %%rcx\n\t"
      "push %%rcx\n\t"
      "jmp *jump_fcontext@GOTPCREL(%%rip)\n"
      "1:\n\t" WEFT_JUMP_LANDING
      : "=r"(rax), "=r"(rdx), "+r"(rdi), "+r"(rsi)
      :
      : "rcx", "r8", "r9", "r10", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",
        "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
        "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)",
        "st(7)" WEFT_JUMP_AVX512_CLOBBERS);
  return {rax, rdx};
#else
  return fcontext::jump_fcontext(to, data);
#endif
}
#undef WEFT_JUMP_ASM
#undef WEFT_JUMP_LANDING
#undef WEFT_JUMP_AVX512_CLOBBERS

// Passed through jump_fcontext: the resumed side records where it came from.
struct Switch {
  Context* from;
  Context* to;
};

// The exception state moves with its context. Invariant: whenever a context
// starts running, the thread's state is empty unless that context had saved
// one. A context that switches away inside a catch block (or while unwinding)
// takes its state with it and leaves the thread's empty; the common case, no
// exception anywhere, then costs one test on each side of the switch.
[[gnu::cold, gnu::noinline]] void save_eh(Context& from, EhGlobals& g) noexcept;
[[gnu::cold, gnu::noinline]] void restore_eh(Context& self) noexcept;

// Runs on the resumed side of every switch: store the suspended context of
// whoever switched to us, restore our exception state. (An annotated switch
// has told the sanitizer first: switch_annotated.)
inline void on_resume(Context& self, fcontext::Transfer t) noexcept {
  auto* sw = static_cast<Switch*>(t.data);
  sw->from->fctx = t.fctx;
  if (__builtin_expect(self.eh_saved, 0)) restore_eh(self);
}

// True when switches are annotated for the sanitizer runtime the program
// carries. Set before main() (by a constructor in context.cpp that runs
// before any default-priority static initialiser, so before any switch) and
// never changed: read without synchronisation.
extern bool g_annotate_switches;
inline bool annotated_switches() noexcept { return g_annotate_switches; }

// switch_context with the sanitizer annotations around the jump.
[[gnu::cold, gnu::noinline]] void switch_annotated(Context& from, Context& to,
                                                   Switch& sw) noexcept;

[[gnu::always_inline]] inline void switch_context(Context& from, Context& to) noexcept {
  EhGlobals* g = eh_globals();
  if (__builtin_expect(g->caught != nullptr || g->uncaught != 0, 0)) save_eh(from, *g);
  Switch sw{&from, &to};
  if (__builtin_expect(annotated_switches(), 0)) {
    switch_annotated(from, to, sw);
    return;
  }
  on_resume(from, jump(to.fctx, &sw));
}

}  // namespace weft::detail
