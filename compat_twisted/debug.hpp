#pragma once
// Diagnostics: Twisted's setDebugging/getDebugging, the hook that reports
// failed Deferreds nobody handled (Python logs them when the Deferred is
// garbage-collected; here its last handle's destruction does), and repr().
// All settings belong to the current loop.

#include "weft/sched/config.hpp"

#include <functional>
#include <string>

#include "weft/compat_twisted/failure.hpp"

namespace weft::twisted {

class Deferred;

// Receives a Failure that was the final result of a Deferred when its last
// handle went away ("Unhandled error in Deferred"). Must not throw.
using UnhandledErrorHook = std::function<void(const Failure&)>;
// Returns a description of the current call stack, for debugging output.
using StackCaptureHook = std::function<std::string()>;

// Turns recording of creation and first-fire stacks on or off for Deferreds
// created from now on; AlreadyCalledError then names both (" C:" and " I:"
// lines). Must be called inside dispatch() (std::logic_error otherwise).
void setDebugging(bool on);
// Whether debugging is on in this loop (false outside dispatch()).
bool getDebugging() noexcept;

// Installs this loop's unhandled-error hook and returns the previous one; an
// empty hook restores the default (weft::log at error level: "Unhandled error
// in Deferred:" followed by the failure). Must be called inside dispatch().
UnhandledErrorHook setUnhandledErrorHook(UnhandledErrorHook hook);
// Installs the stack capture used when debugging is on (default: glibc
// backtrace symbols) and returns the previous one. Must be called inside dispatch().
StackCaptureHook setStackCaptureHook(StackCaptureHook hook);

// Diagnostics text in Twisted's form: "<Deferred at 0x...>",
// "<Deferred at 0x... current result: int>", "<Deferred at 0x... waiting on
// Deferred at 0x...>". Not a stable format.
std::string repr(const Deferred& d);

}  // namespace weft::twisted
