#pragma once
// react: run main(reactor) until the Deferred it returns fires, then stop the
// reactor and return an exit code (twisted.internet.task.react).
//
//   int main() {
//     return weft::twisted::react([](Reactor& reactor) {
//       return deferLater(reactor, 1.0, [] { std::puts("done"); });
//     });
//   }
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

template <class R>
Deferred as_deferred(R&& r) {
  using D = std::decay_t<R>;
  static_assert(std::is_base_of_v<Deferred, D> || std::is_same_v<D, Result>,
                "weft::twisted: react's main must return a Deferred (wrap a function that "
                "waits with inlineCallbacks)");
  return ensureDeferred(std::forward<R>(r));
}
}  // namespace detail

// Calls main(reactor) with `reactor` (an IReactorCore that main's parameter
// accepts), runs the reactor until main's Deferred fires, stops it (unless it
// is already shutting down) and returns: 0 on success, the code of a
// SystemExit failure (a message gives 1), or 1 for any other failure (logged
// as "main function encountered error"). 0 when the reactor was stopped
// from outside first. An exception from main itself escapes before the
// reactor runs; a main returning a Result that holds no Deferred throws
// NotACoroutineError. Must be called in a tasklet.
template <class F, class Reactor_>
  requires std::is_base_of_v<IReactorCore, Reactor_>
int react(F&& main, Reactor_& reactor) {
  return detail::react_with([&]() { return detail::as_deferred(main(reactor)); }, reactor);
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
