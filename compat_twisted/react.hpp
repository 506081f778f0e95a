#pragma once
// react: run main(reactor) until the Deferred it returns fires, then stop the
// reactor and return an exit code (twisted.internet.task.react).
//
//   int main() {
//     return weft::twisted::react([](Reactor& reactor) {   // returns nothing:
//       int ticks = 0;                                      // an inlineCallbacks body
//       LoopingCall lc(reactor, [&] { if (++ticks == 3) lc.stop(); });
//       wait(lc.start(0.1));                                // locals live until it returns
//     });
//   }
//
// A main that returns nothing runs as an inlineCallbacks body (its own
// tasklet): its locals live until it returns, so what it starts may capture
// them by reference while it waits (wait(d)). A main that returns a Deferred
// is Twisted's own form, for line-by-line ports, and a trap in C++: its
// locals die when it returns the Deferred, while the reactor still runs what
// captured them: what it starts must not capture its locals by reference.
//
// Differences: react returns the exit code instead of calling sys.exit; the
// arguments Twisted passes after the reactor (argv) are captured by the
// lambda instead.

#include <functional>
#include <type_traits>
#include <utility>

#include "weft/compat_twisted/deferred.hpp"
#include "weft/compat_twisted/inline_callbacks.hpp"
#include "weft/compat_twisted/reactor.hpp"
#include "weft/sched/loop.hpp"
#include "weft/tasklet/dispatch.hpp"

namespace weft::twisted {

namespace detail {
// The react algorithm on any reactor; `start` calls main.
int react_with(const std::function<Deferred()>& start, IReactorCore& reactor);
bool inside_loop() noexcept;

// Starts main(reactor): a main returning nothing as an inlineCallbacks body
// (main copied when it can be, else used in place: the caller's main lives
// until react returns), one returning a Deferred (or a Result holding one)
// directly.
template <class F, class Reactor_>
Deferred start_main(F& main, Reactor_& reactor) {
  using R = std::invoke_result_t<F&, Reactor_&>;
  using D = std::decay_t<R>;
  static_assert(std::is_void_v<R> || std::is_base_of_v<Deferred, D> || std::is_same_v<D, Result>,
                "weft::twisted: react's main returns nothing (it then runs as an inlineCallbacks "
                "body: wait(d) inside, its locals alive until it returns) or a Deferred "
                "(Twisted's form); for an exit code, throw SystemExit(code)");
  if constexpr (std::is_void_v<R>) {
    if constexpr (std::is_copy_constructible_v<F>) {
      return start_body(make_body(F(main), std::ref(reactor)));
    } else {
      return start_body(make_body(std::ref(main), std::ref(reactor)));
    }
  } else {
    return ensureDeferred(main(reactor));
  }
}
}  // namespace detail

// Calls main(reactor) with `reactor` (an IReactorCore that main's parameter
// accepts), runs the reactor until main's Deferred fires, stops it (unless it
// is already shutting down) and returns: 0 on success, the code of a
// SystemExit failure (a message gives 1), or 1 for any other failure (logged
// as "main function encountered error"). 0 when the reactor was stopped
// from outside first. A main that returns nothing runs as an inlineCallbacks
// body (see above): what it throws is its failure. An exception from a main
// that returns a Deferred escapes before the reactor runs; a main returning a
// Result that holds no Deferred throws NotACoroutineError. Must be called in
// a tasklet.
template <class F, class Reactor_>
  requires std::is_base_of_v<IReactorCore, Reactor_>
int react(F&& main, Reactor_& reactor) {
  return detail::react_with([&]() { return detail::start_main(main, reactor); }, reactor);
}

// react() with a fresh Reactor on the weft loop. Outside dispatch() it runs
// the loop itself (dispatch) and returns its exit code.
template <class F>
int react(F&& main) {
  if (!detail::inside_loop()) {
    return weft::dispatch([&]() { return react(main); });
  }
  Reactor reactor;
  return react(main, reactor);
}

}  // namespace weft::twisted
