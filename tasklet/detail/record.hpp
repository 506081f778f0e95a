#pragma once
// The tasklet record: a Fiber plus what the tasklet layer keeps per tasklet.
// Heap-allocated at spawn, reference-counted by handles (and by the loop while
// the tasklet is unfinished). Loop-thread only.

#include <any>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "sched/detail/fiber.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/detail/stack_pool.hpp"

namespace weft::detail {

class Loop;

// Per-tasklet state kept outside the record (the mailbox, TaskLocal values):
// destroyed when the tasklet finishes.
struct TaskletExtension {
  virtual ~TaskletExtension() = default;
};
enum class TaskletSlot : unsigned { mailbox, locals, count };

struct TaskletRecord : Fiber {
  TaskletRecord() = default;
  TaskletRecord(const TaskletRecord&) = delete;
  TaskletRecord& operator=(const TaskletRecord&) = delete;
  // Logs a failure nobody observed (see Tasklet's "never joined" rule).
  virtual ~TaskletRecord();

  // Records come from the current loop's RecordPool (the heap outside a loop);
  // over-aligned ones from the heap. Defined in runtime.cpp.
  static void* operator new(std::size_t size);
  static void operator delete(void* p) noexcept;
  static void* operator new(std::size_t size, std::align_val_t align);
  static void operator delete(void* p, std::align_val_t align) noexcept;

  // It has finished, or finish() has begun: its mailbox is gone or going.
  bool gone() const noexcept { return ending || state == FiberState::finished; }

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

  // First the fields a send reads (next to the Fiber's hot ones), then the rest.
  Loop* loop = nullptr;       // the loop it belongs to
  std::uint32_t refs = 0;     // handles, plus one held by the loop until it finishes
  bool observed = false;      // a join saw how it ended: no "never joined" log
  bool ending = false;        // finish() has begun: its extensions (mailbox...) are going
  std::unique_ptr<TaskletExtension> ext[static_cast<unsigned>(TaskletSlot::count)];
  std::uint64_t id = 0;
  std::string name;           // empty until given or first derived (lazily)
  const std::type_info* fn_type = nullptr;  // for the derived name
  TaskletRecord* parent = nullptr;          // non-owning; cleared when either finishes
  TaskletRecord* first_child = nullptr;     // live children, in spawn order
  TaskletRecord* last_child = nullptr;
  TaskletRecord* next_sibling = nullptr;
  TaskletRecord* prev_sibling = nullptr;
  WaitList joiners;
  std::exception_ptr error;   // set when it failed (TaskletExit included)
  std::size_t stack_request = 0;
  std::size_t mailbox_limit = 0;
  Stack stack;                // from its first run to its end
};

struct NoValue {};

template <class F, class R>
struct TaskletImpl final : TaskletRecord {
  template <class G>
  explicit TaskletImpl(G&& g) : fn(std::in_place, std::forward<G>(g)) {}

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
  std::conditional_t<std::is_void_v<R>, NoValue, std::optional<R>> result{};
};

}  // namespace weft::detail
