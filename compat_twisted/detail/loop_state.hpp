#pragma once
// compat_twisted's per-loop state, kept in the loop's `twisted` extension
// slot: the debugging switch, the diagnostics hooks, and which tasklets are
// inlineCallbacks bodies (so that wait() can hand control back to whoever
// resumed them).

#include <string>
#include <unordered_map>

#include "weft/compat_twisted/debug.hpp"
#include "weft/sched/extension.hpp"

namespace weft::twisted::detail {

struct BodyCtl;

struct TwistedLoopState : weft::detail::LoopExtension {
  bool debugging = false;
  UnhandledErrorHook unhandled;  // empty: the default (weft::log)
  StackCaptureHook capture;      // empty: the default (backtrace)
  // Running inlineCallbacks bodies, by their fiber.
  std::unordered_map<const weft::detail::Fiber*, BodyCtl*> bodies;
};

// This loop's state, created on first use when `create`; nullptr outside
// dispatch() (or when not created and `create` is false).
TwistedLoopState* loop_state(bool create) noexcept;

// Reports a Failure nobody handled (the hook, or weft::log). Never throws.
void report_unhandled(const Failure& f) noexcept;

// A stack description for debugging output ("" when capture fails).
std::string capture_stack();

}  // namespace weft::twisted::detail
