#include "sched/detail/backtrace.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <ucontext.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "sched/detail/context.hpp"

#if __has_include(<libunwind.h>) && defined(__x86_64__)
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#define WEFT_UNWIND 1
#endif

namespace weft::detail {

namespace {

#ifdef WEFT_UNWIND
#define WEFT_STR2(x) #x
#define WEFT_STR(x) WEFT_STR2(x)

struct Unwinder {
  int (*init_local)(unw_cursor_t*, unw_context_t*) = nullptr;
  int (*init_local2)(unw_cursor_t*, unw_context_t*, int) = nullptr;
  int (*step)(unw_cursor_t*) = nullptr;
  int (*get_reg)(unw_cursor_t*, int, unw_word_t*) = nullptr;
  int (*get_proc_name)(unw_cursor_t*, char*, std::size_t, unw_word_t*) = nullptr;
  int (*getcontext)(unw_context_t*) = nullptr;
};

Unwinder unwinder;
const char* missing = "";
std::once_flag loaded;

template <class F>
bool find(void* lib, const char* name, F& f) {
  f = reinterpret_cast<F>(::dlsym(lib, name));
  return f != nullptr;
}

void load() noexcept {
  void* lib = ::dlopen("libunwind.so.8", RTLD_LAZY | RTLD_LOCAL);
  if (lib == nullptr) {
    missing = "backtraces need libunwind (libunwind.so.8, Debian's libunwind8)";
    return;
  }
  Unwinder u;
  if (!find(lib, WEFT_STR(unw_init_local), u.init_local) ||
      !find(lib, WEFT_STR(unw_init_local2), u.init_local2) ||
      !find(lib, WEFT_STR(unw_step), u.step) || !find(lib, WEFT_STR(unw_get_reg), u.get_reg) ||
      !find(lib, WEFT_STR(unw_get_proc_name), u.get_proc_name) ||
      !find(lib, WEFT_STR(unw_tdep_getcontext), u.getcontext)) {
    missing = "backtraces need libunwind: libunwind.so.8 lacks the local unwinding calls";
    return;
  }
  unwinder = u;
}

// Names frame `f` from `cursor`. Not async-signal-safe: libunwind reads the
// symbol table through malloc'd buffers (ThreadSanitizer says so).
void name_from(unw_cursor_t& cursor, Frame& f) noexcept {
  unw_word_t off = 0;
  if (unwinder.get_proc_name(&cursor, f.name, sizeof f.name, &off) == 0) {
    f.offset = off;
  } else {
    f.name[0] = '\0';
  }
}

// Stepping is async-signal-safe for local unwinding; naming is not, and is
// left to name_frames() when `named` is false.
std::size_t walk(unw_cursor_t& cursor, Frame* out, std::size_t max, bool named) noexcept {
  std::size_t n = 0;
  while (n < max) {
    unw_word_t ip = 0;
    if (unwinder.get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0) break;
    Frame& f = out[n++];
    f.ip = reinterpret_cast<void*>(ip);
    f.name[0] = '\0';
    f.offset = 0;
    if (named) name_from(cursor, f);
    if (unwinder.step(&cursor) <= 0) break;
  }
  return n;
}
#endif

}  // namespace

bool load_unwinder() noexcept {
#ifdef WEFT_UNWIND
  std::call_once(loaded, load);
  return unwinder.step != nullptr;
#else
  return false;
#endif
}

const char* unwinder_missing() noexcept {
#ifdef WEFT_UNWIND
  return missing;
#else
  return "backtraces need libunwind (x86-64, built with libunwind-dev)";
#endif
}

// The saved words sit below the parked frame's stack pointer: not ASan's to judge.
__attribute__((no_sanitize_address)) std::size_t frames_of(const Context& c, Frame* out,
                                                          std::size_t max) noexcept {
#ifdef WEFT_UNWIND
  if (!load_unwinder() || c.fctx == nullptr) return 0;
  // What jump_fcontext left at the saved stack pointer (Boost.Context's
  // x86-64 System V layout): MXCSR and x87 control word, then r12, r13, r14,
  // r15, rbx, rbp and the return address; the stack pointer after the switch
  // returns is 0x40 above it, plus what jump() leaves below its frame (none).
  const auto* saved = static_cast<const std::uint64_t*>(c.fctx);
  unw_context_t uc;
  std::memset(&uc, 0, sizeof uc);
  greg_t* r = uc.uc_mcontext.gregs;
  r[REG_R12] = static_cast<greg_t>(saved[1]);
  r[REG_R13] = static_cast<greg_t>(saved[2]);
  r[REG_R14] = static_cast<greg_t>(saved[3]);
  r[REG_R15] = static_cast<greg_t>(saved[4]);
  r[REG_RBX] = static_cast<greg_t>(saved[5]);
  r[REG_RBP] = static_cast<greg_t>(saved[6]);
  r[REG_RIP] = static_cast<greg_t>(saved[7]);
  r[REG_RSP] = static_cast<greg_t>(reinterpret_cast<std::uintptr_t>(c.fctx) + 0x40 +
                                   kSwitchRedZone);
  unw_cursor_t cursor;
  if (unwinder.init_local(&cursor, &uc) < 0) return 0;
  return walk(cursor, out, max, true);
#else
  (void)c, (void)out, (void)max;
  return 0;
#endif
}

std::size_t frames_here(Frame* out, std::size_t max) noexcept {
#ifdef WEFT_UNWIND
  if (!load_unwinder()) return 0;
  unw_context_t uc;
  unw_cursor_t cursor;
  if (unwinder.getcontext(&uc) < 0 || unwinder.init_local(&cursor, &uc) < 0) return 0;
  if (unwinder.step(&cursor) <= 0) return 0;  // past frames_here itself
  return walk(cursor, out, max, true);
#else
  (void)out, (void)max;
  return 0;
#endif
}

std::size_t frames_from_signal(void* ucontext, Frame* out, std::size_t max) noexcept {
#ifdef WEFT_UNWIND
  if (unwinder.step == nullptr || ucontext == nullptr) return 0;
  unw_cursor_t cursor;
  if (unwinder.init_local2(&cursor, static_cast<unw_context_t*>(ucontext),
                           UNW_INIT_SIGNAL_FRAME) < 0) {
    return 0;
  }
  return walk(cursor, out, max, false);
#else
  (void)ucontext, (void)out, (void)max;
  return 0;
#endif
}

void name_frames(Frame* frames, std::size_t n) noexcept {
#ifdef WEFT_UNWIND
  if (!load_unwinder()) return;
  for (std::size_t i = 0; i < n; ++i) {
    // A cursor that stands at the frame's address is all a name needs. A
    // return address (every frame but a signal's first) can be one past its
    // call's function: look it up one byte earlier.
    unw_context_t uc;
    std::memset(&uc, 0, sizeof uc);
    const auto ip = reinterpret_cast<std::uintptr_t>(frames[i].ip);
    uc.uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(i == 0 ? ip : ip - 1);
    uc.uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(reinterpret_cast<std::uintptr_t>(&uc));
    unw_cursor_t cursor;
    if (unwinder.init_local(&cursor, &uc) < 0) continue;
    name_from(cursor, frames[i]);
    if (i != 0 && frames[i].name[0] != '\0') ++frames[i].offset;
  }
#else
  (void)frames, (void)n;
#endif
}

std::string format_frames(const Frame* frames, std::size_t n, const char* indent) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    const Frame& f = frames[i];
    out += indent;
    out += "at ";
    char addr[40];
    if (f.name[0] != '\0') {
      int status = 0;
      std::unique_ptr<char, void (*)(void*)> d(
          abi::__cxa_demangle(f.name, nullptr, nullptr, &status), std::free);
      out += status == 0 && d ? d.get() : f.name;
      std::snprintf(addr, sizeof addr, "+0x%zx", f.offset);
    } else {
      std::snprintf(addr, sizeof addr, "%p", f.ip);
    }
    out += addr;
    out += '\n';
  }
  return out;
}

}  // namespace weft::detail
