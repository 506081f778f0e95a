#pragma once
// Outcome<T>: one entry of join_all's result: a value, or the JoinError in its place.

#include "weft/sched/config.hpp"

#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

#include "weft/tasklet/join_error.hpp"  // complete JoinError: stored by value

namespace weft {

template <class T>
class Outcome {
 public:
  explicit Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  explicit Outcome(JoinError e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  // The value; throws the JoinError when the tasklet failed.
  T& value() & {
    if (!ok()) throw std::get<1>(v_);
    return std::get<0>(v_);
  }
  const T& value() const& {
    if (!ok()) throw std::get<1>(v_);
    return std::get<0>(v_);
  }
  // The failure; throws std::logic_error when ok().
  const JoinError& error() const {
    if (ok()) throw std::logic_error("weft: Outcome::error() on a successful outcome");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, JoinError> v_;
};

template <>
class Outcome<void> {
 public:
  Outcome() = default;
  explicit Outcome(JoinError e) : e_(std::move(e)) {}

  bool ok() const noexcept { return !e_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  // Throws the JoinError when the tasklet failed.
  void value() const {
    if (e_) throw *e_;
  }
  const JoinError& error() const {
    if (ok()) throw std::logic_error("weft: Outcome::error() on a successful outcome");
    return *e_;
  }

 private:
  std::optional<JoinError> e_;
};

}  // namespace weft
