#include "sched/detail/context.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <utility>

#ifdef WEFT_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace weft::detail {

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

void trampoline(fcontext::Transfer t) noexcept {
  Context& self = *static_cast<Switch*>(t.data)->to;
  on_resume(self, t);
  self.entry(self.arg);
  std::abort();  // entry() ends with exit_context and never returns here
}

}  // namespace

void make_context(Context& c, void* stack_bottom, std::size_t size, void (*entry)(void*),
                  void* arg) noexcept {
  c.fctx = fcontext::make_fcontext(static_cast<char*>(stack_bottom) + size, size, &trampoline);
  c.eh_caught = nullptr;
  c.eh_uncaught = 0;
  c.eh_saved = false;
  c.stack_bottom = stack_bottom;
  c.stack_size = size;
  c.asan_fake_stack = nullptr;
#ifdef WEFT_TSAN
  c.tsan_fiber = __tsan_create_fiber(0);
#endif
  c.entry = entry;
  c.arg = arg;
}

void exit_context(Context& from, Context& to) noexcept {
  // A finished context leaves the thread's exception state empty (the
  // invariant of switch_context; normally it already is).
  EhGlobals* g = eh_globals();
  g->caught = nullptr;
  g->uncaught = 0;
  Switch sw{&from, &to};
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(nullptr, to.stack_bottom, to.stack_size);
#endif
#ifdef WEFT_TSAN
  // Once the thread runs as `to`, the finished fiber can go: TSan only forbids
  // destroying the current one. Only its record goes; the stack is ours.
  void* dead = from.tsan_fiber;
  from.tsan_fiber = nullptr;
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
  __tsan_destroy_fiber(dead);
#endif
  jump(to.fctx, &sw);
  std::abort();  // a finished context is never resumed
}

void forget_stack(void* stack_bottom, std::size_t size) noexcept {
#ifdef WEFT_ASAN
  __asan_unpoison_memory_region(stack_bottom, size);
#else
  (void)stack_bottom;
  (void)size;
#endif
}

bool context_sanitized() noexcept {
#ifdef WEFT_ASAN
  return true;
#else
  return false;
#endif
}

}  // namespace weft::detail
