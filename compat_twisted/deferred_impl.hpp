#pragma once
// Template bodies of deferred.hpp, which includes this file at its end: not a
// header of its own (include deferred.hpp).

#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/compat_twisted/detail/callable.hpp"
#include "weft/compat_twisted/result.hpp"

namespace weft::twisted {

template <class F, class... A>
Deferred& Deferred::addCallback(F&& f, A&&... args) {
  addLink(detail::make_callback(std::forward<F>(f), std::forward<A>(args)...), {});
  return *this;
}

template <class F, class... A>
Deferred& Deferred::addErrback(F&& f, A&&... args) {
  addLink({}, detail::make_callback(std::forward<F>(f), std::forward<A>(args)...));
  return *this;
}

template <class F, class... A>
Deferred& Deferred::addBoth(F&& f, A&&... args) {
  addLink(detail::make_callback(std::forward<F>(f), std::forward<A>(args)...), {}, true);
  return *this;
}

template <class CB, class EB>
Deferred& Deferred::addCallbacks(CB&& cb, EB&& eb) {
  addLink(detail::make_optional_callback(std::forward<CB>(cb), std::tuple<>()),
          detail::make_optional_callback(std::forward<EB>(eb), std::tuple<>()));
  return *this;
}

template <class CB, class EB, class... CA>
Deferred& Deferred::addCallbacks(CB&& cb, EB&& eb, CallbackArgs<CA...> cbArgs) {
  addLink(detail::make_optional_callback(std::forward<CB>(cb), std::move(cbArgs.args)),
          detail::make_optional_callback(std::forward<EB>(eb), std::tuple<>()));
  return *this;
}

template <class CB, class EB, class... EA>
Deferred& Deferred::addCallbacks(CB&& cb, EB&& eb, ErrbackArgs<EA...> ebArgs) {
  addLink(detail::make_optional_callback(std::forward<CB>(cb), std::tuple<>()),
          detail::make_optional_callback(std::forward<EB>(eb), std::move(ebArgs.args)));
  return *this;
}

template <class CB, class EB, class... CA, class... EA>
Deferred& Deferred::addCallbacks(CB&& cb, EB&& eb, CallbackArgs<CA...> cbArgs,
                                 ErrbackArgs<EA...> ebArgs) {
  addLink(detail::make_optional_callback(std::forward<CB>(cb), std::move(cbArgs.args)),
          detail::make_optional_callback(std::forward<EB>(eb), std::move(ebArgs.args)));
  return *this;
}

template <class T>
void Deferred::callback(T&& value) {
  static_assert(!std::is_base_of_v<Deferred, std::decay_t<T>>,
                "weft::twisted: callback() with a Deferred is not allowed; return it from a "
                "callback (chaining) or use chainDeferred()");
  fire(Result(std::forward<T>(value)));
}

}  // namespace weft::twisted
