#pragma once
// Failure: an exception travelling down a Deferred's errback chain (Twisted's
// twisted.python.failure.Failure). It holds a std::exception_ptr; check() and
// trap() probe its type by rethrowing it. There is no traceback: the exception
// object is all it carries.
//
// A Failure is a shared handle: copies are the same Failure (operator== is
// Python's `is`), so "the errback got the very Failure I returned" can be
// checked.

#include "weft/sched/config.hpp"

#include <exception>
#include <memory>
#include <string>
#include <typeinfo>
#include <type_traits>
#include <utility>

namespace weft::twisted {

class Failure {
 public:
  // Wraps `error`. Throws std::invalid_argument when it is null.
  explicit Failure(std::exception_ptr error);
  // Wraps a copy of the exception object `exc` (Failure(ValueError("x"))).
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr> &&
             !std::is_same_v<std::decay_t<E>, Failure>)
  explicit Failure(E&& exc) : Failure(std::make_exception_ptr(std::forward<E>(exc))) {}

  // The exception being handled (Failure() in an except block). Throws
  // NoCurrentExceptionError outside a catch block.
  static Failure current();

  // The first of E... that the exception is (or derives from), as its
  // type_info; nullptr when none matches (Twisted returns the class or None).
  template <class... E>
  const std::type_info* check() const;
  // check<E...>(), but rethrows the exception when none matches (so an errback
  // that traps only what it handles passes the rest on).
  template <class... E>
  const std::type_info& trap() const;

  // The exception (Twisted's .value).
  const std::exception_ptr& value() const noexcept { return impl_->error; }
  // A pointer to the exception object when it is an E, else nullptr. Valid as
  // long as this Failure lives.
  template <class E>
  const E* valueAs() const;
  // what() of the exception ("TaskletExit", or "unknown exception" for types
  // without what()).
  std::string getErrorMessage() const;
  // The demangled dynamic type of the exception ("std::runtime_error").
  std::string typeName() const;
  // True when the exception is weft's TaskletExit (a kill travelling through a chain).
  bool isTaskletExit() const;
  // Rethrows the exception.
  [[noreturn]] void raiseException() const { std::rethrow_exception(impl_->error); }

  // Identity (Python's `is`): true for copies of the same Failure.
  friend bool operator==(const Failure& a, const Failure& b) noexcept {
    return a.impl_ == b.impl_;
  }

 private:
  struct Impl {
    std::exception_ptr error;
  };
  template <class E>
  bool is_a() const;
  std::shared_ptr<const Impl> impl_;
};

template <class E>
bool Failure::is_a() const {
  try {
    std::rethrow_exception(impl_->error);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

template <class... E>
const std::type_info* Failure::check() const {
  const std::type_info* hit = nullptr;
  ((hit == nullptr && is_a<E>() ? (hit = &typeid(E), true) : false), ...);
  return hit;
}

template <class... E>
const std::type_info& Failure::trap() const {
  if (const std::type_info* t = check<E...>()) return *t;
  raiseException();
}

template <class E>
const E* Failure::valueAs() const {
  try {
    std::rethrow_exception(impl_->error);
  } catch (const E& e) {
    return &e;
  } catch (...) {
    return nullptr;
  }
}

}  // namespace weft::twisted
