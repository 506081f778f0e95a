#include "compat_twisted/debug.hpp"

#include <execinfo.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "compat_twisted/deferred.hpp"
#include "compat_twisted/detail/deferred_state.hpp"
#include "compat_twisted/detail/loop_state.hpp"
#include "sched/log.hpp"

namespace weft::twisted {

namespace detail {

TwistedLoopState* loop_state(bool create) noexcept {
  weft::detail::Loop* loop = weft::detail::current_loop();
  if (loop == nullptr) return nullptr;
  auto& slot = weft::detail::loop_slot(*loop, weft::detail::ExtSlot::twisted);
  if (!slot) {
    if (!create) return nullptr;
    slot = std::make_unique<TwistedLoopState>();
  }
  return static_cast<TwistedLoopState*>(slot.get());
}

void report_unhandled(const Failure& f) noexcept {
  try {
    TwistedLoopState* ls = loop_state(false);
    if (ls != nullptr && ls->unhandled) {
      ls->unhandled(f);
      return;
    }
    weft::log(LogLevel::error, "Unhandled error in Deferred:\n" + f.typeName() + ": " +
                                   f.getErrorMessage());
  } catch (...) {
    // A reporter must never throw (this runs in destructors).
  }
}

std::string capture_stack() {
  TwistedLoopState* ls = loop_state(false);
  if (ls != nullptr && ls->capture) return ls->capture();
  void* frames[32];
  const int n = ::backtrace(frames, 32);
  char** names = ::backtrace_symbols(frames, n);
  if (names == nullptr) return {};
  std::string out;
  for (int i = 2; i < n; ++i) {  // skip capture_stack and its caller
    out += names[i];
    out += '\n';
  }
  std::free(names);
  return out;
}

}  // namespace detail

namespace {

detail::TwistedLoopState& settings(const char* what) {
  detail::TwistedLoopState* ls = detail::loop_state(true);
  if (ls == nullptr) {
    throw std::logic_error(std::string("weft::twisted: ") + what +
                           " must be called inside dispatch() (settings belong to the loop)");
  }
  return *ls;
}

std::string address(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

}  // namespace

void setDebugging(bool on) { settings("setDebugging()").debugging = on; }

bool getDebugging() noexcept {
  detail::TwistedLoopState* ls = detail::loop_state(false);
  return ls != nullptr && ls->debugging;
}

UnhandledErrorHook setUnhandledErrorHook(UnhandledErrorHook hook) {
  auto& ls = settings("setUnhandledErrorHook()");
  UnhandledErrorHook old = std::move(ls.unhandled);
  ls.unhandled = std::move(hook);
  return old;
}

StackCaptureHook setStackCaptureHook(StackCaptureHook hook) {
  auto& ls = settings("setStackCaptureHook()");
  StackCaptureHook old = std::move(ls.capture);
  ls.capture = std::move(hook);
  return old;
}

std::string repr(const Deferred& d) {
  const detail::DeferredState& s = *d.state();
  std::string out = "<Deferred at " + address(&s);
  if (std::shared_ptr<detail::DeferredState> x = s.chained_to.lock()) {
    out += " waiting on Deferred at " + address(x.get());
  } else if (s.called) {
    out += " current result: " + s.result.describe();
  }
  return out + ">";
}

}  // namespace weft::twisted
