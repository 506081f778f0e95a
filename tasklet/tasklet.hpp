#pragma once
// Tasklet: a stackful green thread, named and placed in a tree, scheduled
// round-robin on the loop of the thread that spawned it. Names follow
// Concurrence's Tasklet API (spawn is the seed's `new`, a C++ keyword).
//
//   auto t = weft::Tasklet::spawn([] { weft::Tasklet::sleep(0.1); return 42; });
//   int v = t.join();                  // or weft::Tasklet::join(t)
//
// Everything here is loop-thread only. Calls that may park (sleep, join,
// yield_) must be made from a tasklet and throw NotInTasklet otherwise.

#include <any>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "weft/sched/errors.hpp"
#include "weft/sched/timeout.hpp"

namespace weft {

namespace detail {
struct TaskletRecord;
struct AdoptTag {};
// What a tasklet running F stores and returns: the call's result by value.
template <class F>
using result_t = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>&>>;
}  // namespace detail

template <class R>
class TaskletOf;
template <class T>
class Outcome;

struct SpawnOptions {
  // Empty: derived from the callable's type when it is a named class, else "tasklet-<id>".
  std::string name;
  // A daemon has no parent and does not keep dispatch() running; it is killed at exit.
  bool daemon = false;
  // Stack reserve in bytes (rounded up to pages); 0: the loop's default (64 KiB).
  std::size_t stack_size = 0;
  // Mailbox bound (see mailbox/): 0 means unbounded.
  std::size_t max_mailbox_len = 0;
};

// A reference-counted handle to a tasklet. Copies refer to the same tasklet;
// the tasklet runs whether or not handles exist, and its result lives as long
// as the last handle. An empty (default-constructed) handle refers to nothing.
class Tasklet {
 public:
  Tasklet() noexcept = default;
  Tasklet(const Tasklet& o) noexcept;
  Tasklet(Tasklet&& o) noexcept : rec_(std::exchange(o.rec_, nullptr)) {}
  Tasklet& operator=(const Tasklet& o) noexcept;
  Tasklet& operator=(Tasklet&& o) noexcept;
  ~Tasklet();

  explicit operator bool() const noexcept { return rec_ != nullptr; }
  friend bool operator==(const Tasklet& a, const Tasklet& b) noexcept { return a.rec_ == b.rec_; }

  // ---- creating tasklets (all: must be called on a loop thread)

  // Creates a tasklet running f(). It is appended to the run queue and does
  // not run before the caller parks or yields. Its parent is the calling
  // tasklet (none when called from outside a tasklet, or for a daemon).
  // (Two overloads rather than a default argument: most spawns give no
  // options, and then none are built, moved or destroyed.)
  template <class F>
  static auto spawn(F&& f) -> TaskletOf<detail::result_t<F>>;
  template <class F>
  static auto spawn(F&& f, SpawnOptions options) -> TaskletOf<detail::result_t<F>>;
  // A tasklet that sleeps `delay`, then returns f().
  template <class F>
  static auto later(Timeout delay, F&& f, SpawnOptions options = {})
      -> TaskletOf<detail::result_t<F>>;
  // A tasklet calling f() every `period` (first after one period, or at once
  // when `immediate`). An exception from f is logged and the interval goes on;
  // kill() ends it. Between calls it holds no stack (so do rate, and later
  // when f returns void: docs/sched.md, "Resting").
  template <class F>
  static Tasklet interval(Timeout period, F&& f, bool immediate = false,
                          SpawnOptions options = {});
  // A tasklet calling f() over and over, yielding between calls. An exception
  // from f is logged and, after a 1 s back-off (as in Concurrence), the loop
  // goes on; kill() ends it.
  template <class F>
  static Tasklet loop(F&& f, SpawnOptions options = {});
  // A tasklet calling f(now) about `per_second` times a second, adapting its
  // sleep to the measured period (Concurrence's rate). Exceptions are logged;
  // kill() ends it. Throws std::invalid_argument unless per_second > 0.
  template <class F>
  static Tasklet rate(double per_second, F&& f, SpawnOptions options = {});

  // ---- the running tasklet

  // The running tasklet. Throws NotInTasklet outside one.
  static Tasklet current();
  // Parks the running tasklet for `t` (never: until killed). A zero or
  // negative time yields. Throws TimeoutError only when an enclosing
  // DeadlineScope ends first, TaskletExit when killed.
  static void sleep(Timeout t);
  // Lets every other runnable tasklet run once, then returns; IO readiness and
  // timers are polled at least every 61 switches. Throws TaskletExit when killed.
  static void yield_();

  // ---- joining (join of a finished tasklet also works outside a tasklet)

  // Waits for t to finish and returns its result as std::any (empty for void).
  // A t that has not started yet runs next (ahead of tasklets queued before
  // it), and when t finishes its first joiner runs next: a tree of tasklets
  // that join their children runs depth first (docs/sched.md). Throws JoinError when t failed or was killed, TimeoutError when `timeout`
  // passes (t keeps running), TaskletExit when the caller is killed, and
  // std::logic_error for an empty handle or a tasklet joining itself.
  static std::any join(const Tasklet& t, Timeout timeout = weft::current);
  // The typed form: returns the callable's result.
  template <class R>
  static R join(const TaskletOf<R>& t, Timeout timeout = weft::current);
  // Waits for all of `ts` under one shared deadline; results in input order,
  // with a JoinError in place of each failure. TimeoutError when the deadline passes.
  static std::vector<Outcome<std::any>> join_all(const std::vector<Tasklet>& ts,
                                                 Timeout timeout = weft::current);
  template <class R>
  static std::vector<Outcome<R>> join_all(const std::vector<TaskletOf<R>>& ts,
                                          Timeout timeout = weft::current);
  // join_all(current().children(), timeout), with results converted to R
  // (std::logic_error when a child's result is not an R).
  template <class R = std::any>
  static std::vector<Outcome<R>> join_children(Timeout timeout = weft::current);

  // ---- inspecting (empty handles: std::logic_error)

  const std::string& name() const;
  std::uint64_t id() const;
  bool daemon() const;
  // The parent, or an empty handle (root, daemon, or finished).
  Tasklet parent() const;
  // The live children, in spawn order.
  std::vector<Tasklet> children() const;
  // Pre-order walk of this tasklet's live subtree: (tasklet, level), this one at `level`.
  std::vector<std::pair<Tasklet, int>> tree(int level = 0) const;
  bool has_finished() const;
  // Finished with an exception (TaskletExit included).
  bool failed() const;
  // The exception that ended it (null when it is running or succeeded).
  std::exception_ptr error() const;
  // Usable stack bytes (0 before its first run).
  std::size_t stack_size() const;

  // ---- acting

  // Delivers TaskletExit at t's suspension point and runs it until it has
  // unwound (its destructors and catch blocks ran) before returning, unless it
  // catches TaskletExit and parks again. A tasklet that never ran finishes
  // without running; a finished one is left alone; killing the running tasklet
  // throws TaskletExit at once. A kill of a tasklet inside a KillShield is
  // delivered when the shield ends.
  void kill() const;

  // Extension tier: the record behind the handle (nullptr when empty).
  detail::TaskletRecord* record() const noexcept { return rec_; }
  // Extension tier: a new handle to a record (adds a reference).
  static Tasklet from_record(detail::TaskletRecord* r) noexcept;

 protected:
  detail::TaskletRecord& rec() const;
  detail::TaskletRecord* rec_ = nullptr;
};

// A handle that knows its tasklet's result type.
template <class R>
class TaskletOf : public Tasklet {
 public:
  TaskletOf() noexcept = default;
  // Extension tier: adopts an untyped handle whose callable returns R.
  TaskletOf(detail::AdoptTag, Tasklet&& t) noexcept : Tasklet(std::move(t)) {}
  // Waits and returns the result (copied; moved out when R is move-only, after
  // which a second join throws std::logic_error). Throws as Tasklet::join.
  R join(Timeout timeout = weft::current) const;
};

}  // namespace weft

#include "weft/tasklet/join_error.hpp"
#include "weft/tasklet/outcome.hpp"
#include "weft/tasklet/tasklet_impl.hpp"
