#pragma once
// Result: what travels down a Deferred's chain. Exactly one of
//   - a value (a std::any; empty is Python's None),
//   - a Failure (the errback path),
//   - a Deferred (returned by a callback: the chain waits for it).
// Any copyable C++ value converts implicitly; a string literal is stored as
// std::string. A Result holds a Deferred by its shared state, so this header
// needs only a declaration of Deferred (deferred.hpp includes this one).

#include <any>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

#include "weft/compat_twisted/errors.hpp"
#include "weft/compat_twisted/failure.hpp"

namespace weft::twisted {

class Deferred;
class Result;

namespace detail {
struct DeferredState;
// A stored callback or errback: reads the current result (it may move from
// it) and returns the next one.
using Callback = std::function<Result(Result&)>;

template <class T>
inline constexpr bool is_result_special =
    std::is_same_v<std::decay_t<T>, Result> || std::is_same_v<std::decay_t<T>, Failure> ||
    std::is_same_v<std::decay_t<T>, std::any> || std::is_base_of_v<Deferred, std::decay_t<T>> ||
    std::is_same_v<std::decay_t<T>, const char*> || std::is_same_v<std::decay_t<T>, char*> ||
    std::is_array_v<std::remove_reference_t<T>>;
[[noreturn]] void throw_type_mismatch(const Result& r, const std::type_info& wanted);
}  // namespace detail

class Result {
 public:
  // None.
  Result() noexcept = default;
  // The errback path.
  Result(Failure f) noexcept : v_(std::in_place_index<1>, std::move(f)) {}  // NOLINT: implicit
  // A Deferred to wait for (also from a DeferredList).
  Result(const Deferred& d) noexcept;  // NOLINT: implicit
  // A value held in a std::any (an empty one is None).
  template <class A>
    requires std::is_same_v<std::decay_t<A>, std::any>
  Result(A&& v) noexcept : v_(std::in_place_index<0>, std::forward<A>(v)) {}  // NOLINT: implicit
  // A string literal, stored as std::string.
  Result(const char* s) : v_(std::in_place_index<0>, std::string(s)) {}  // NOLINT: implicit
  // Any other copyable value.
  template <class T>
    requires(!detail::is_result_special<T>)
  Result(T&& v)  // NOLINT: implicit
      : v_(std::in_place_index<0>, std::any(std::forward<T>(v))) {}

  // Python's None: an empty value.
  bool isNone() const noexcept { return v_.index() == 0 && !std::get<0>(v_).has_value(); }
  bool isFailure() const noexcept { return v_.index() == 1; }
  bool isDeferred() const noexcept { return v_.index() == 2; }
  // A value (None included), as opposed to a Failure or a Deferred.
  bool isValue() const noexcept { return v_.index() == 0; }
  // True when this is a value of exactly type T.
  template <class T>
  bool is() const noexcept {
    return v_.index() == 0 && std::any_cast<T>(&std::get<0>(v_)) != nullptr;
  }
  // The value as a T. Throws TypeMismatch (naming both types) otherwise.
  template <class T>
  const T& as() const {
    if (const T* p = v_.index() == 0 ? std::any_cast<T>(&std::get<0>(v_)) : nullptr) return *p;
    detail::throw_type_mismatch(*this, typeid(T));
  }
  template <class T>
  T& as() {
    if (T* p = v_.index() == 0 ? std::any_cast<T>(&std::get<0>(v_)) : nullptr) return *p;
    detail::throw_type_mismatch(*this, typeid(T));
  }
  // The value as a std::any. Throws TypeMismatch for a Failure or a Deferred.
  const std::any& value() const;
  std::any& value();
  // The Failure. Throws TypeMismatch for anything else.
  const Failure& failure() const;
  // The Deferred (a handle sharing its state). Throws TypeMismatch for anything else.
  Deferred deferred() const;
  // For messages: "None", "int", "Failure(std::runtime_error: boom)", "Deferred".
  std::string describe() const;

 private:
  std::variant<std::any, Failure, std::shared_ptr<detail::DeferredState>> v_;
};

}  // namespace weft::twisted
