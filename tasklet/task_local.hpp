#pragma once
// TaskLocal<T>: a value per tasklet (Concurrence's TaskLocal; a thread_local
// for tasklets).
//
//   weft::TaskLocal<std::string> request_id(/*inherit=*/true);
//   request_id.set("r-42");
//   weft::Tasklet::spawn([&] { log(*request_id.get()); });   // sees "r-42"
//
// Each tasklet's values are destroyed when it finishes (on its own stack).
// With `inherit`, a tasklet that has no value of its own sees its nearest
// ancestor's (Concurrence's recursive lookup: parent, grandparent, ...; the
// very object, so changes through it are shared). Loop-thread only; every
// member but inherits() must be called from a tasklet (NotInTasklet otherwise).

#include "weft/sched/config.hpp"

#include <memory>
#include <utility>

namespace weft {

namespace detail {
struct LocalKey {};
struct LocalValueBase {
  virtual ~LocalValueBase() = default;
};
template <class T>
struct LocalValue final : LocalValueBase {
  template <class... A>
  explicit LocalValue(A&&... a) : value(std::forward<A>(a)...) {}
  T value;
};
// The current tasklet's value for `key` (its ancestors' too when `inherit`), or nullptr.
LocalValueBase* find_local(const LocalKey* key, bool inherit);
// Stores v as the current tasklet's value for `key` (replacing its own) and returns it.
LocalValueBase& set_local(const std::shared_ptr<LocalKey>& key, std::unique_ptr<LocalValueBase> v);
// Removes the current tasklet's own value; false when it had none.
bool erase_local(const LocalKey* key);
}  // namespace detail

template <class T>
class TaskLocal {
 public:
  // With `inherit`, lookups fall back to the tasklet's ancestors' values.
  explicit TaskLocal(bool inherit = false)
      : key_(std::make_shared<detail::LocalKey>()), inherit_(inherit) {}
  TaskLocal(const TaskLocal&) = delete;
  TaskLocal& operator=(const TaskLocal&) = delete;

  // The current tasklet's value (or an ancestor's, when inheriting); nullptr when none.
  T* get() const {
    auto* v = detail::find_local(key_.get(), inherit_);
    return v == nullptr ? nullptr : &static_cast<detail::LocalValue<T>*>(v)->value;
  }
  // As get(), but throws std::logic_error when there is no value.
  T& value() const;
  // True when get() would return a value.
  bool has_value() const { return get() != nullptr; }
  // Sets the current tasklet's own value (an ancestor's stays as it is).
  T& set(T v) { return emplace(std::move(v)); }
  // Constructs the current tasklet's own value in place and returns it.
  template <class... A>
  T& emplace(A&&... args) {
    auto& v = detail::set_local(key_, std::make_unique<detail::LocalValue<T>>(std::forward<A>(args)...));
    return static_cast<detail::LocalValue<T>&>(v).value;
  }
  // Destroys the current tasklet's own value; false when it had none.
  bool reset() { return detail::erase_local(key_.get()); }
  // True when lookups fall back to the ancestors' values.
  bool inherits() const noexcept { return inherit_; }

 private:
  std::shared_ptr<detail::LocalKey> key_;  // identity; tasklets hold weak references
  bool inherit_;
};

namespace detail {
[[noreturn]] void throw_no_local();
}

template <class T>
T& TaskLocal<T>::value() const {
  T* p = get();
  if (p == nullptr) detail::throw_no_local();
  return *p;
}

}  // namespace weft
