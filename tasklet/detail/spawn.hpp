#pragma once
// What tasklet_impl.hpp's templates need: the callable and its result behind
// an interface (TaskletBody), and the non-template cores of spawn and join.
// The record itself (a Fiber, with the tree and the mailbox slot) stays out of
// sight: the templates only name TaskletRecord, and this header includes no
// other project header, so that tasklet.hpp's include closure stays small.

#include <any>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace weft {
class JoinError;
class Tasklet;
class Timeout;
struct SpawnOptions;
}  // namespace weft

namespace weft::detail {

struct TaskletRecord;

// The callable of a tasklet and, once it returned, its result. It lives in
// the same block as its record, right after it, and goes with it.
struct TaskletBody {
  virtual ~TaskletBody() = default;
  // Runs the callable and stores its result (may throw).
  virtual void invoke() = 0;
  // Destroys the callable (after the run, on the tasklet's own stack).
  virtual void drop_callable() noexcept = 0;
  // The stored result when its type is `t`; nullptr otherwise (void, moved out, mismatch).
  virtual void* value_ptr(const std::type_info& t) noexcept = 0;
  // Destroys the stored result (after a move-only result was moved out).
  virtual void drop_value() noexcept = 0;
  // The result as std::any (empty for void). Throws std::logic_error for move-only results.
  virtual std::any value_any() const = 0;
  virtual const std::type_info& value_type() const noexcept = 0;
};

struct NoValue {};

// The result part of a body returning R, the base of every BodyImpl<F, R>:
// a typed handle (TaskletOf<R>) reaches the result through it without a
// virtual call or a type check (take_own_value).
template <class R>
struct ValueBody : TaskletBody {
  std::conditional_t<std::is_void_v<R>, NoValue, std::optional<R>> result{};
};

template <class F, class R>
struct BodyImpl final : ValueBody<R> {
  using ValueBody<R>::result;
  template <class G>
  explicit BodyImpl(G&& g) : fn(std::in_place, std::forward<G>(g)) {}

  void invoke() override {
    if constexpr (std::is_void_v<R>) {
      std::invoke(*fn);
    } else {
      result.emplace(std::invoke(*fn));
    }
  }
  void drop_callable() noexcept override { fn.reset(); }
  void* value_ptr(const std::type_info& t) noexcept override {
    if constexpr (std::is_void_v<R>) {
      return nullptr;
    } else {
      return (result.has_value() && t == typeid(R)) ? &*result : nullptr;
    }
  }
  void drop_value() noexcept override {
    if constexpr (!std::is_void_v<R>) result.reset();
  }
  std::any value_any() const override {
    if constexpr (std::is_void_v<R>) {
      return {};
    } else if constexpr (std::is_copy_constructible_v<R>) {
      return result.has_value() ? std::any(*result) : std::any();
    } else {
      throw std::logic_error("weft: this tasklet returns a move-only type; join it through its "
                             "TaskletOf<R> handle");
    }
  }
  const std::type_info& value_type() const noexcept override { return typeid(R); }

  std::optional<F> fn;
};

// ---- spawn: allocate_tasklet, construct the body in place, start_tasklet

// A new record, with room for a body of `body_size` bytes aligned to
// `body_align` right after it. Throws std::logic_error outside dispatch(),
// std::bad_alloc.
struct NewTasklet {
  TaskletRecord* record;
  void* body;  // where the body goes
};
NewTasklet allocate_tasklet(std::size_t body_size, std::size_t body_align);
// Frees a record of allocate_tasklet whose body could not be constructed.
void discard_tasklet(TaskletRecord* r) noexcept;
// Registers the record (with its constructed body) and returns the first
// handle; `options` nullptr: the defaults (else its name is moved out).
// Frees the record and rethrows if that fails.
Tasklet start_tasklet(TaskletRecord* r, TaskletBody* body, SpawnOptions* options,
                      const std::type_info& named_after);

// ---- join

// Waits for r, marks its end observed, throws its JoinError if it failed.
void join_wait(TaskletRecord& r, Timeout t);
// Waits for every tasklet of [rs, rs + n) to finish, under one deadline.
// Throws TimeoutError, TaskletExit, std::logic_error (a tasklet joining
// itself or one of another loop); not the tasklets' own failures.
void join_all_wait(TaskletRecord* const* rs, std::size_t n, Timeout t);
// r's body (r has finished: its callable is gone, its result stays).
TaskletBody& body_of(TaskletRecord& r) noexcept;
// True when r failed (TaskletExit included); else marks its end observed.
bool take_failure(TaskletRecord& r) noexcept;
// The JoinError for a failed r (marks it observed).
JoinError make_join_error(TaskletRecord& r);
// Logs the exception in flight as a helper's failure ("interval 'tick': ...").
// Must be called inside a catch block.
void log_helper_failure(const char* helper) noexcept;
// Tasklet::sleep(t) for a helper (interval, rate, later) whose body has
// nothing left on the stack after it: true when the calling tasklet now rests
// instead (rest_on: its body must return at once, and runs again from its
// start when t has passed), false when the sleep is already over (go on).
// Throws as sleep does; a deadline scope's bound makes it a plain sleep.
bool rest_sleep(Timeout t);
[[noreturn]] void throw_type_mismatch(TaskletRecord& r, const std::type_info& wanted);
[[noreturn]] void throw_value_taken(TaskletRecord& r);

}  // namespace weft::detail
