#pragma once
// The state behind a Deferred handle, and the iterative callback runner.
//
// Why iterative: a callback returning an unfired Deferred X parks the outer
// Deferred D on X through a "continuation" link appended to X. When X fires,
// its runner moves X's result into D and goes on with D's callbacks in the
// same loop (an explicit stack of Deferreds), instead of calling into D. So
// arbitrarily long chains never grow the C++ stack, as in Twisted.
//
// Ownership follows the data flow: X's continuation holds D strongly (X will
// deliver into D); D holds X only weakly (to forward cancel()). Destroying a
// long line of continuations is iterative too (see ~DeferredState).

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "weft/compat_twisted/deferred.hpp"

namespace weft::twisted::detail {

struct Link {
  Callback cb;  // empty: pass the value through
  Callback eb;  // empty: pass the failure through
  std::shared_ptr<DeferredState> chainee;  // set: a continuation into that Deferred
  bool both = false;  // cb serves both paths (addBoth)
};

struct DebugInfo {
  std::string creator;  // stack at creation
  std::string invoker;  // stack at the first fire
};

struct DeferredState : std::enable_shared_from_this<DeferredState> {
  DeferredState();
  ~DeferredState();
  DeferredState(const DeferredState&) = delete;
  DeferredState& operator=(const DeferredState&) = delete;

  // Pending callbacks: callbacks[head, end). Popping advances `head` (no
  // allocation for an empty list, unlike std::deque).
  std::vector<Link> callbacks;
  std::size_t head = 0;
  Result result;
  Deferred::Canceller canceller;                    // released once fired
  std::function<bool(Deferred&)> cancel_override;   // DeferredList, inlineCallbacks
  std::weak_ptr<DeferredState> waiting_on;          // the chained Deferred, while paused on it
  std::weak_ptr<DeferredState> chained_to;          // diagnostics (repr)
  std::unique_ptr<DebugInfo> debug;                 // only with setDebugging(true)
  const void* runner = nullptr;   // the fiber running a callback (while `running`)
  int paused = 0;
  bool called = false;
  bool running = false;           // a callback of this Deferred is executing
  bool suppress_already_called = false;
  bool unhandled = false;         // the chain ended on a Failure nobody consumed

  // Sets the result and runs the chain. Throws AlreadyCalledError when fired
  // already (unless a cancel() without canceller armed the one-shot swallow).
  void start(Result r);
  // Runs pending callbacks (see the file comment). Rethrows TaskletExit at the
  // end when a callback was killed.
  void run_callbacks();
  void cancel();
};

}  // namespace weft::twisted::detail
