#include "tasklet/detail/context.hpp"

#include <boost/context/detail/fcontext.hpp>
#include <cxxabi.h>

#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif
#ifdef WEFT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace weft::detail {
namespace {

namespace bctx = boost::context::detail;

// Mirror of the Itanium C++ ABI's __cxa_eh_globals (libsupc++ unwind-cxx.h and
// libc++abi agree on the first two members, which are all we save).
struct EhGlobals {
  void* caught;
  unsigned int uncaught;
};

// Cached per thread: __cxa_get_globals is a call into the runtime, and a
// switch needs it twice.
thread_local EhGlobals* tls_eh __attribute__((tls_model("initial-exec"))) = nullptr;

inline EhGlobals* eh_globals() noexcept {
  EhGlobals* g = tls_eh;
  if (__builtin_expect(g == nullptr, 0)) {
    g = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
    tls_eh = g;
  }
  return g;
}

// Passed through jump_fcontext: the resumed side records where it came from.
struct Switch {
  Context* from;
  Context* to;
};

inline void save_eh(Context& c) noexcept {
  EhGlobals* g = eh_globals();
  c.eh_caught = g->caught;
  c.eh_uncaught = g->uncaught;
}

// Runs on the resumed side of every switch: store the suspended context of
// whoever switched to us, finish the ASan switch, restore our exception state.
inline void on_resume(Context& self, bctx::transfer_t t) noexcept {
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

void trampoline(bctx::transfer_t t) noexcept {
  Context& self = *static_cast<Switch*>(t.data)->to;
  on_resume(self, t);
  self.entry(self.arg);
  std::abort();  // entry() ends with exit_context and never returns here
}

}  // namespace

void make_context(Context& c, void* stack_bottom, std::size_t size, void (*entry)(void*),
                  void* arg) noexcept {
  c.fctx = bctx::make_fcontext(static_cast<char*>(stack_bottom) + size, size, &trampoline);
  c.eh_caught = nullptr;
  c.eh_uncaught = 0;
  c.stack_bottom = stack_bottom;
  c.stack_size = size;
  c.asan_fake_stack = nullptr;
  c.entry = entry;
  c.arg = arg;
}

void switch_context(Context& from, Context& to) noexcept {
  save_eh(from);
  Switch sw{&from, &to};
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(&from.asan_fake_stack, to.stack_bottom, to.stack_size);
#endif
  bctx::transfer_t t = bctx::jump_fcontext(to.fctx, &sw);
  on_resume(from, t);
}

void exit_context(Context& from, Context& to) noexcept {
  Switch sw{&from, &to};
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(nullptr, to.stack_bottom, to.stack_size);
#endif
  bctx::jump_fcontext(to.fctx, &sw);
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
