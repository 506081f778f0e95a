#pragma once
// Call stacks of tasklets: the unwinder seam. The only code in weft that
// unwinds, with libunwind (Debian's libunwind8), loaded on first use with
// dlopen(RTLD_LOCAL): linked the ordinary way, libunwind's copy of the C++
// unwinding ABI (_Unwind_RaiseException, ...) would come before libgcc's in
// the program's symbol lookup and take over every throw; loaded locally, it
// serves these functions only. Without it, backtraces are empty and say why.
//
// Why libunwind and not Boost.Stacktrace or backward-cpp: a parked tasklet is
// not running, so its stack must be unwound from the registers its switch
// saved (Context::fctx). libunwind takes any register set as its starting
// point (unw_init_local with a filled context); Boost.Stacktrace and
// backward-cpp walk the calling thread's own stack only.

#include <cstddef>
#include <string>

namespace weft::detail {

struct Context;

// One frame: its return address and, where the symbol table names it, the
// function's (mangled) name and the offset into it.
struct Frame {
  void* ip = nullptr;
  char name[160] = {};  // empty when unknown
  std::size_t offset = 0;
};

// Loads the unwinder (once; thread-safe). False, with why() saying so, when
// it cannot be had. Call it before the async-signal-safe forms below.
bool load_unwinder() noexcept;
const char* unwinder_missing() noexcept;  // why load_unwinder() failed ("" when it did not)

// The frames of the suspended context `c`, innermost first: the function that
// switched away (the park) and its callers. Returns how many were written.
// Loop thread; `c` must not run meanwhile.
std::size_t frames_of(const Context& c, Frame* out, std::size_t max) noexcept;

// The caller's own frames (this function's caller first).
std::size_t frames_here(Frame* out, std::size_t max) noexcept;

// The frames of the code a signal interrupted, from the handler's ucontext,
// addresses only (naming them is not async-signal-safe: name_frames() does it
// later, on any thread). Async-signal-safe once load_unwinder() has succeeded
// (it returns 0 before).
std::size_t frames_from_signal(void* ucontext, Frame* out, std::size_t max) noexcept;

// Fills in the names of frames that have only their addresses.
void name_frames(Frame* frames, std::size_t n) noexcept;

// "  at function+0x1f" lines (demangled), one per frame, each ending in '\n'.
std::string format_frames(const Frame* frames, std::size_t n, const char* indent);

}  // namespace weft::detail
