#pragma once
// deferLater: a Deferred that fires after a delay of a clock, with the
// result of a function called then (twisted.internet.task.deferLater).

#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/compat_twisted/deferred.hpp"
#include "weft/compat_twisted/reactor_time.hpp"

namespace weft::twisted {

namespace detail {
Deferred defer_later(IReactorTime& clock, double delay, std::function<Result()> f);
}  // namespace detail

// Fires with None after `delay` seconds of `clock`. cancel() before then
// removes the call and fails it with CancelledError; afterwards it does
// nothing. Even a zero delay needs the clock to run (advance(0)).
inline Deferred deferLater(IReactorTime& clock, double delay) {
  return detail::defer_later(clock, delay, {});
}
// Fires with f(args...) called after `delay` seconds (a raise fails it; a
// returned Deferred is chained). f never runs when cancelled first.
template <class F, class... A>
Deferred deferLater(IReactorTime& clock, double delay, F&& f, A&&... args) {
  return detail::defer_later(
      clock, delay,
      [fn = std::decay_t<F>(std::forward<F>(f)),
       t = std::make_tuple(std::decay_t<A>(std::forward<A>(args))...)]() mutable -> Result {
        return std::apply(
            [&](auto&... a) -> Result {
              if constexpr (std::is_void_v<std::invoke_result_t<decltype(fn)&, decltype(a)...>>) {
                std::invoke(fn, a...);
                return Result();
              } else {
                return Result(std::invoke(fn, a...));
              }
            },
            t);
      });
}

}  // namespace weft::twisted
