#include "sched/detail/context.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <utility>

// The sanitizer runtimes' entry points (their own headers declare the same),
// as weak references: null unless the program carries the runtime, which is
// the case when it is built with -fsanitize=address or =thread, whether or
// not weft was. A process never has both runtimes.
extern "C" {
[[gnu::weak]] void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom,
                                                  std::size_t size);
[[gnu::weak]] void __sanitizer_finish_switch_fiber(void* fake_stack_save,
                                                   const void** bottom_old,
                                                   std::size_t* size_old);
[[gnu::weak]] void __asan_unpoison_memory_region(const volatile void* addr, std::size_t size);
[[gnu::weak]] void* __tsan_get_current_fiber();
[[gnu::weak]] void* __tsan_create_fiber(unsigned flags);
[[gnu::weak]] void __tsan_destroy_fiber(void* fiber);
[[gnu::weak]] void __tsan_switch_to_fiber(void* fiber, unsigned flags);
}

namespace weft::detail {

bool g_annotate_switches = false;

namespace {

bool asan_runtime() noexcept {
  return &__sanitizer_start_switch_fiber != nullptr &&
         &__sanitizer_finish_switch_fiber != nullptr;
}

bool tsan_runtime() noexcept {
  return &__tsan_switch_to_fiber != nullptr && &__tsan_create_fiber != nullptr &&
         &__tsan_destroy_fiber != nullptr && &__tsan_get_current_fiber != nullptr;
}

// The annotations of the side that leaves `from` for `to`, right before the
// jump. `from` is never resumed when `exiting`: ASan drops its fake stack;
// TSan's fiber goes once the thread runs as `to` (TSan only forbids
// destroying the current fiber; only its record goes, the stack is ours).
void start_switch(Context& from, Context& to, bool exiting) noexcept {
  if (asan_runtime()) {
    __sanitizer_start_switch_fiber(exiting ? nullptr : &from.asan_fake_stack, to.stack_bottom,
                                   to.stack_size);
  } else {
    // As TSan asks, right before the jump: from here on the thread runs as
    // `to`. A context nobody made is the thread's own: TSan's current fiber.
    if (from.tsan_fiber == nullptr) from.tsan_fiber = __tsan_get_current_fiber();
    void* dead = exiting ? std::exchange(from.tsan_fiber, nullptr) : nullptr;
    __tsan_switch_to_fiber(to.tsan_fiber, 0);
    if (dead != nullptr) __tsan_destroy_fiber(dead);
  }
}

// The resumed side's: ASan learns the bounds of the stack it came from (the
// thread's own, the first time).
void finish_switch(Context& self, fcontext::Transfer t) noexcept {
  if (asan_runtime()) {
    Context& from = *static_cast<Switch*>(t.data)->from;
    __sanitizer_finish_switch_fiber(self.asan_fake_stack, &from.stack_bottom, &from.stack_size);
  }
}

// Priority 101, the first a program may use: before every default-priority
// static initialiser of the program, and so before any switch.
[[gnu::constructor(101)]] void choose_annotations() noexcept {
  g_annotate_switches = asan_runtime() || tsan_runtime();
}

}  // namespace

void switch_annotated(Context& from, Context& to, Switch& sw) noexcept {
  start_switch(from, to, false);
  const fcontext::Transfer t = jump(to.fctx, &sw);
  finish_switch(from, t);
  on_resume(from, t);
}

thread_local constinit EhGlobals* tls_eh __attribute__((tls_model("initial-exec"))) = nullptr;

EhGlobals* fetch_eh_globals() noexcept {
  tls_eh = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
  return tls_eh;
}

void save_eh(Context& from, EhGlobals& g) noexcept {
  from.eh_caught = std::exchange(g.caught, nullptr);
  from.eh_uncaught = std::exchange(g.uncaught, 0u);
  from.eh_saved = true;
}

void restore_eh(Context& self) noexcept {
  EhGlobals* g = eh_globals();
  g->caught = self.eh_caught;
  g->uncaught = self.eh_uncaught;
  self.eh_caught = nullptr;
  self.eh_uncaught = 0;
  self.eh_saved = false;
}

namespace {

// What a made context runs first: kept at the top of its stack until then,
// not in the Context, whose every byte is on a wake-up's path (fiber.hpp).
struct Start {
  void (*entry)(void*);
  void* arg;
};

Start* start_of(const Context& c) noexcept {
  auto* top = static_cast<char*>(const_cast<void*>(c.stack_bottom)) + c.stack_size;
  return reinterpret_cast<Start*>(top) - 1;
}

void trampoline(fcontext::Transfer t) noexcept {
  Context& self = *static_cast<Switch*>(t.data)->to;
  if (annotated_switches()) finish_switch(self, t);
  on_resume(self, t);
  const Start start = *start_of(self);
  start.entry(start.arg);
  std::abort();  // entry() ends with exit_context and never returns here
}

}  // namespace

namespace {

// Out of line: without a sanitizer runtime, make_context pays one test.
[[gnu::cold, gnu::noinline]] void make_tsan_fiber(Context& c) noexcept {
  if (tsan_runtime()) c.tsan_fiber = __tsan_create_fiber(0);
}

}  // namespace

void make_context(Context& c, void* stack_bottom, std::size_t size, void (*entry)(void*),
                  void* arg) noexcept {
  c.eh_caught = nullptr;
  c.eh_uncaught = 0;
  c.eh_saved = false;
  c.stack_bottom = stack_bottom;
  c.stack_size = size;
  c.asan_fake_stack = nullptr;
  if (annotated_switches()) make_tsan_fiber(c);
  Start* start = start_of(c);
  *start = Start{entry, arg};
  c.fctx = fcontext::make_fcontext(start, size - sizeof(Start), &trampoline);
}

// Not instrumented by ASan: with detect_stack_use_after_return, an
// instrumented frame would keep `sw` on the fiber's fake stack, which
// start_switch(..., true) destroys before the resumed side reads `sw`. (weft
// built without ASan is still instrumented when a program links it with
// -fsanitize=address through GCC's LTO: libweft.a carries LTO objects.)
__attribute__((no_sanitize("address"))) void exit_context(Context& from, Context& to) noexcept {
  // A finished context leaves the thread's exception state empty (the
  // invariant of switch_context; normally it already is).
  EhGlobals* g = eh_globals();
  g->caught = nullptr;
  g->uncaught = 0;
  Switch sw{&from, &to};
  if (annotated_switches()) start_switch(from, to, true);
  jump(to.fctx, &sw);
  std::abort();  // a finished context is never resumed
}

void forget_stack(void* stack_bottom, std::size_t size) noexcept {
  if (&__asan_unpoison_memory_region != nullptr) __asan_unpoison_memory_region(stack_bottom, size);
}

bool context_sanitized() noexcept { return asan_runtime(); }

}  // namespace weft::detail
