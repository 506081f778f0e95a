#pragma once
// The bridge between Deferreds and tasklets (Twisted's inlineCallbacks,
// ensureDeferred and `yield d` / `await d`):
//
//   auto getUser = inlineCallbacks([&](int id) {
//     Result row = wait(db.fetch(id));      // parks this tasklet, not the loop
//     return row.as<std::string>();
//   });
//   Deferred d = getUser(7);                // fires with the string
//
// The function runs in its own (daemon) tasklet. As in Twisted it starts
// synchronously: the caller gets the Deferred back only once the function has
// reached its first wait() on an unfired Deferred (or returned). Later, when
// a Deferred it waits on fires, it resumes synchronously too: callback() returns
// once the function has reached its next wait() on an unfired Deferred, or
// returned. Code between two waits is therefore like a Twisted callback: a
// blocking weft call there (sleep, a mailbox receive) holds up whoever fired
// the Deferred. When the firing code runs outside a tasklet (a weft::Timer
// callback, a LoopRef::post), the function starts or resumes later instead, in
// run-queue order.
//
// cancel() of the returned Deferred cancels the Deferred the function is
// waiting on; the outcome (CancelledError, or what that Deferred's canceller
// fired it with) is delivered into the function by its wait(). If the
// function catches it and goes on, the returned Deferred stays unfired.

#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/compat_twisted/deferred.hpp"
#include "weft/sched/timeout.hpp"

namespace weft::twisted {

// Parks the current tasklet until `d` fires and returns its value, or throws
// the exception of its Failure. The Deferred's result becomes None (it is
// consumed, as in inlineCallbacks). An already-fired Deferred returns at once,
// without parking or growing the stack. Throws NotInTasklet when `d` has not
// fired and the caller is not a tasklet, weft::TimeoutError when `timeout`
// (or the enclosing DeadlineScope) passes first (`d` is left alone, its result
// then passes through), TaskletExit when killed, and std::logic_error when `d`
// is running its callbacks in this very tasklet (it could never fire).
Result wait(Deferred d, Timeout timeout = weft::current);
// wait(d) converted to T (TypeMismatch otherwise).
template <class T>
T wait(Deferred d, Timeout timeout = weft::current) {
  Result r = wait(std::move(d), timeout);
  if constexpr (std::is_same_v<T, Result>) {
    return r;
  } else {
    return std::move(r.as<T>());
  }
}

namespace detail {
// Runs body() as an inlineCallbacks body (see the file comment).
Deferred start_body(std::function<Result()> body);

// How an argument is kept until the body runs: a copy, or a reference for an
// lvalue that cannot be copied (a Reactor, a Clock, a lock).
template <class T>
auto keep_arg(T&& a) {
  using D = std::decay_t<T>;
  if constexpr (std::is_lvalue_reference_v<T> && !std::is_copy_constructible_v<D>) {
    return std::ref(a);
  } else {
    return D(std::forward<T>(a));
  }
}
template <class T>
T& unwrap_arg(T& a) {
  return a;
}
template <class T>
T& unwrap_arg(std::reference_wrapper<T>& a) {
  return a.get();
}

template <class F, class... A>
std::function<Result()> make_body(F f, A... args) {
  using R = std::invoke_result_t<F&, decltype(unwrap_arg(std::declval<A&>()))...>;
  static_assert(!std::is_base_of_v<Deferred, std::decay_t<R>>,
                "weft::twisted: an inlineCallbacks function returning a Deferred; return "
                "wait(d) instead");
  return [f = std::move(f), t = std::make_tuple(std::move(args)...)]() mutable -> Result {
    return std::apply(
        [&](auto&... a) -> Result {
          if constexpr (std::is_void_v<R>) {
            std::invoke(f, unwrap_arg(a)...);
            return Result();
          } else {
            return Result(std::invoke(f, unwrap_arg(a)...));
          }
        },
        t);
  };
}
}  // namespace detail

// Wraps f so that each call f'(args...) runs f(args...) in a new tasklet and
// returns a Deferred of its outcome: what it returns (void: None; a Failure:
// the errback path) or what it throws. Returning a Deferred is a compile-time
// error (return wait(d)). Twisted's returnValue(v) is `return v`. Arguments
// are copied, except lvalues that cannot be copied (a Reactor, a Clock),
// which are passed by reference and must outlive the call.
template <class F>
auto inlineCallbacks(F f) {
  return [f = std::move(f)](auto&&... args) -> Deferred {
    return detail::start_body(
        detail::make_body(f, detail::keep_arg(std::forward<decltype(args)>(args))...));
  };
}

// ensureDeferred(d): d itself.
inline Deferred ensureDeferred(Deferred d) { return d; }
// ensureDeferred(f): runs f() as an inlineCallbacks function (Python's
// coroutine object is a not-yet-started call; here it is a callable).
template <class F>
  requires std::is_invocable_v<F&>
Deferred ensureDeferred(F&& f) {
  return detail::start_body(detail::make_body(std::decay_t<F>(std::forward<F>(f))));
}
// The dynamic form: the Deferred a Result holds, else NotACoroutineError.
Deferred ensureDeferred(const Result& r);

}  // namespace weft::twisted
