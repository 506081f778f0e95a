#pragma once
// Deferreds from plain values and functions (twisted.internet.defer's
// succeed, fail, execute, maybeDeferred).

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

#include "weft/compat_twisted/deferred.hpp"
#include "weft/sched/errors.hpp"

namespace weft::twisted {

// A Deferred already fired with None.
Deferred succeed();
// A Deferred already fired with `value` (same state as Deferred().callback(value)).
template <class T>
Deferred succeed(T&& value) {
  static_assert(!std::is_base_of_v<Deferred, std::decay_t<T>>,
                "weft::twisted: succeed() of a Deferred; use the Deferred itself");
  Deferred d;
  d.callback(std::forward<T>(value));
  return d;
}

// A Deferred already failed with the exception being handled. Throws
// NoCurrentExceptionError outside a catch block.
Deferred fail();
// A Deferred already failed with `failure`.
Deferred fail(Failure failure);
Deferred fail(std::exception_ptr error);
// A Deferred already failed with Failure(exc).
template <class E>
  requires(!std::is_same_v<std::decay_t<E>, Failure> &&
           !std::is_same_v<std::decay_t<E>, std::exception_ptr>)
Deferred fail(E&& exc) {
  return fail(Failure(std::forward<E>(exc)));
}

// Calls f(args...) now: succeed(its result), or fail() when it throws. A
// returned Failure takes the errback path; returning a Deferred is a
// compile-time error (use maybeDeferred). TaskletExit is not caught.
template <class F, class... A>
Deferred execute(F&& f, A&&... args) {
  using R = std::invoke_result_t<F&&, A&&...>;
  static_assert(!std::is_base_of_v<Deferred, std::decay_t<R>>,
                "weft::twisted: execute() of a function returning a Deferred; use maybeDeferred()");
  try {
    if constexpr (std::is_void_v<R>) {
      std::invoke(std::forward<F>(f), std::forward<A>(args)...);
      return succeed();
    } else {
      return succeed(std::invoke(std::forward<F>(f), std::forward<A>(args)...));
    }
  } catch (const TaskletExit&) {
    throw;
  } catch (...) {
    return fail();
  }
}

// Calls f(args...) now and always returns a Deferred: the one f returned
// (that very object), fail(the Failure) for a returned Failure (that very
// Failure), fail() when it throws, else succeed(its result). TaskletExit is
// not caught.
template <class F, class... A>
Deferred maybeDeferred(F&& f, A&&... args) {
  using R = std::invoke_result_t<F&&, A&&...>;
  try {
    if constexpr (std::is_void_v<R>) {
      std::invoke(std::forward<F>(f), std::forward<A>(args)...);
      return succeed();
    } else if constexpr (std::is_base_of_v<Deferred, std::decay_t<R>>) {
      return Deferred(std::invoke(std::forward<F>(f), std::forward<A>(args)...));
    } else if constexpr (std::is_same_v<std::decay_t<R>, Failure>) {
      return fail(std::invoke(std::forward<F>(f), std::forward<A>(args)...));
    } else if constexpr (std::is_same_v<std::decay_t<R>, Result>) {
      Result r = std::invoke(std::forward<F>(f), std::forward<A>(args)...);
      if (r.isDeferred()) return r.deferred();
      Deferred d;
      d.callback(std::move(r));
      return d;
    } else {
      return succeed(std::invoke(std::forward<F>(f), std::forward<A>(args)...));
    }
  } catch (const TaskletExit&) {
    throw;
  } catch (...) {
    return fail();
  }
}

}  // namespace weft::twisted
