#pragma once
// How a user callable becomes a stored callback: find what its first
// parameter wants (the Result, a Failure, a std::any or a value type T),
// convert the current result to that, call it with the extra arguments, and
// turn what it returns into the next Result.

#include <any>
#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/compat_twisted/failure.hpp"
#include "weft/compat_twisted/result.hpp"

namespace weft::twisted::detail {

// Parameter lists of non-generic callables (functions, function pointers,
// lambdas and functors with one non-template operator()).
template <class F, class = void>
struct fn_traits {
  static constexpr bool known = false;
};
template <class R, class... A>
struct fn_traits<R(A...), void> {
  static constexpr bool known = true;
  using args = std::tuple<A...>;
};
template <class R, class... A>
struct fn_traits<R(A...) noexcept, void> : fn_traits<R(A...)> {};
template <class R, class... A>
struct fn_traits<R (*)(A...), void> : fn_traits<R(A...)> {};
template <class R, class... A>
struct fn_traits<R (*)(A...) noexcept, void> : fn_traits<R(A...)> {};
template <class C, class R, class... A>
struct fn_traits<R (C::*)(A...), void> : fn_traits<R(A...)> {};
template <class C, class R, class... A>
struct fn_traits<R (C::*)(A...) const, void> : fn_traits<R(A...)> {};
template <class C, class R, class... A>
struct fn_traits<R (C::*)(A...) noexcept, void> : fn_traits<R(A...)> {};
template <class C, class R, class... A>
struct fn_traits<R (C::*)(A...) const noexcept, void> : fn_traits<R(A...)> {};
template <class F>
struct fn_traits<F, std::void_t<decltype(&F::operator())>> : fn_traits<decltype(&F::operator())> {};

// The declared type of F's first parameter; Result& when F is generic
// (auto parameters) or takes no parameter.
template <class F, bool = fn_traits<F>::known>
struct first_param {
  using type = Result&;
};
template <class F>
struct first_param<F, true> {
  using args = typename fn_traits<F>::args;
  using type = typename std::conditional_t<(std::tuple_size_v<args> > 0),
                                           std::tuple_element<0, args>,
                                           std::type_identity<Result&>>::type;
};

// The object inside `r` that a parameter of type P binds to (TypeMismatch
// when `r` holds something else).
template <class P>
decltype(auto) extract(Result& r) {
  using D = std::remove_cvref_t<P>;
  if constexpr (std::is_same_v<D, Result>) {
    return (r);
  } else if constexpr (std::is_same_v<D, Failure>) {
    return const_cast<Failure&>(r.failure());
  } else if constexpr (std::is_same_v<D, std::any>) {
    return (r.value());
  } else {
    return (r.template as<D>());
  }
}

template <class R>
Result to_result(R&& v) {
  return Result(std::forward<R>(v));
}

// Calls fn(result-as-P, extra...) and converts what it returns.
template <class Fn, class Tuple>
Result call_adapted(Fn& fn, Result& r, Tuple& extra) {
  using P = typename first_param<Fn>::type;
  return std::apply(
      [&](auto&... xs) -> Result {
        auto&& arg = extract<P>(r);
        using Arg = std::conditional_t<std::is_lvalue_reference_v<P>, decltype(arg)&,
                                       std::remove_reference_t<decltype(arg)>&&>;
        using R = std::invoke_result_t<Fn&, Arg, decltype(xs)...>;
        if constexpr (std::is_void_v<R>) {
          std::invoke(fn, static_cast<Arg>(arg), xs...);
          return Result();
        } else {
          return to_result(std::invoke(fn, static_cast<Arg>(arg), xs...));
        }
      },
      extra);
}

// A stored callback for f with extra arguments a...
template <class F, class... A>
Callback make_callback(F&& f, A&&... a) {
  using Fn = std::decay_t<F>;
  return [fn = Fn(std::forward<F>(f)),
          extra = std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)](Result& r) mutable {
    return call_adapted(fn, r, extra);
  };
}

template <class F, class Tuple, std::size_t... I>
Callback make_callback_from_tuple(F&& f, Tuple&& t, std::index_sequence<I...>) {
  return make_callback(std::forward<F>(f), std::get<I>(std::forward<Tuple>(t))...);
}

// A stored callback, or an empty one (pass-through) for nullptr.
template <class F, class Tuple>
Callback make_optional_callback(F&& f, Tuple&& t) {
  if constexpr (std::is_null_pointer_v<std::decay_t<F>>) {
    return Callback();
  } else {
    return make_callback_from_tuple(
        std::forward<F>(f), std::forward<Tuple>(t),
        std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<Tuple>>>{});
  }
}

}  // namespace weft::twisted::detail
