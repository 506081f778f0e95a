#pragma once
// spawn_on: run a tasklet on another loop of dispatch_loops and wait for its
// result from this one.
//
//   auto t = weft::spawn_on(weft::loop_at(1), [] { return crunch(); });
//   int v = t.join(5.0);   // parks this tasklet (on its own loop) up to 5 s
//
// The tasklet is an ordinary tasklet of the target loop (a root there: no
// parent, since its spawner lives elsewhere). The handle, LoopTasklet<R>, is
// copyable and may be used from any loop; the result crosses threads once
// (built on the target loop, read on the joining loops), so R must be safe to
// copy from one thread while another holds it, and to destroy on any thread.

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "weft/sched/cross_event.hpp"
#include "weft/sched/loop.hpp"
#include "weft/sched/park.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft {

namespace detail {

// What a LoopTasklet's copies and its tasklet share.
struct CrossTaskletState {
  explicit CrossTaskletState(std::string w) : who(std::move(w)) {}
  ~CrossTaskletState();  // logs a failure no join saw
  CrossTaskletState(const CrossTaskletState&) = delete;
  CrossTaskletState& operator=(const CrossTaskletState&) = delete;
  // Ends it with `e` (the first end wins; target-loop side).
  void fail(std::exception_ptr e) noexcept {
    if (done.is_set()) return;
    error = std::move(e);
    done.set();
  }
  const std::string who;   // "tasklet 'name' on loop 1", for messages
  CrossEvent done;
  std::exception_ptr error;  // written before `done` is set
  std::atomic<bool> taken{false};  // a move-only result was moved out
  std::atomic<bool> observed{false};  // a join saw the error
  // The tasklet, once spawned (target-loop side only; valid while its
  // callable, which holds the CrossGuard, lives).
  const detail::TaskletRecord* record = nullptr;
};

template <class R>
struct CrossTaskletOf final : CrossTaskletState {
  using CrossTaskletState::CrossTaskletState;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> value{};
};

// The name spawn_on's messages use for the tasklet.
std::string cross_tasklet_name(const LoopRef& loop, const std::string& name);
// The error of a tasklet that never ran: its loop had ended or ended first.
std::exception_ptr cross_not_started(const LoopRef& loop) noexcept;
// Waits for s (see LoopTasklet::join) and throws its error as a JoinError.
void await_cross(CrossTaskletState& s, Timeout timeout);
void await_cross(CrossTaskletState& s, const Deadline& d);
[[noreturn]] void throw_cross_taken(const CrossTaskletState& s);

// The error a tasklet's record holds when its callable is dropped unfinished:
// TaskletExit when it was killed before it ran or its loop ended, the stack
// pool's std::bad_alloc when it could not start.
std::exception_ptr cross_dropped(const TaskletRecord* record) noexcept;

// Ends the state with the tasklet's error when its callable is dropped without
// having finished it (killed before it ran, its loop ended, no stack). Not
// while the tasklet is being made: when spawning it fails, the spawn's own
// error is what the handle reports.
struct CrossGuard {
  std::shared_ptr<CrossTaskletState> st;
  explicit CrossGuard(std::shared_ptr<CrossTaskletState> s) noexcept : st(std::move(s)) {}
  CrossGuard(CrossGuard&&) noexcept = default;
  CrossGuard(const CrossGuard&) = delete;
  CrossGuard& operator=(const CrossGuard&) = delete;
  ~CrossGuard() {
    if (st && st->record) st->fail(cross_dropped(st->record));
  }
};

}  // namespace detail

// A handle to a tasklet made by spawn_on. Copyable; thread-safe (every member
// may be called on any loop).
template <class R>
class LoopTasklet {
 public:
  LoopTasklet() = default;

  // Waits (parking the calling tasklet) for the tasklet to finish and returns
  // its result (copied; moved out when R is move-only, after which another
  // join throws std::logic_error). Throws JoinError when it failed or was
  // killed (the cause is a TaskletExit) — also when its loop ended before it
  // ran (the cause is then a LoopEnded) — TimeoutError when `timeout` passes (it keeps running), and
  // TaskletExit when the caller is killed. Must be called in a tasklet unless
  // it has finished.
  R join(Timeout timeout = weft::current) const {
    if (!st_) throw std::logic_error("weft: join() of an empty LoopTasklet");
    detail::await_cross(*st_, timeout);
    return result();
  }
  // The same, up to an absolute deadline (Deadline::from a Timeout): for one
  // deadline over several joins.
  R join(const Deadline& deadline) const {
    if (!st_) throw std::logic_error("weft: join() of an empty LoopTasklet");
    detail::await_cross(*st_, deadline);
    return result();
  }
  // True once it has finished (or can no longer run). Thread-safe.
  bool has_finished() const noexcept { return st_ && st_->done.is_set(); }
  // The loop it runs on.
  const LoopRef& loop() const noexcept { return loop_; }
  explicit operator bool() const noexcept { return st_ != nullptr; }

 private:
  R result() const {
    if constexpr (!std::is_void_v<R>) {
      if constexpr (std::is_copy_constructible_v<R>) {
        return *st_->value;
      } else {
        if (st_->taken.exchange(true)) detail::throw_cross_taken(*st_);
        return std::move(*st_->value);
      }
    }
  }
  template <class F>
  friend auto spawn_on(const LoopRef& loop, F&& f, SpawnOptions options)
      -> LoopTasklet<detail::result_t<F>>;
  LoopTasklet(std::shared_ptr<detail::CrossTaskletOf<R>> st, LoopRef loop)
      : st_(std::move(st)), loop_(std::move(loop)) {}
  std::shared_ptr<detail::CrossTaskletOf<R>> st_;
  LoopRef loop_;
};

// Spawns f() on `loop` (any loop: another of this dispatch_loops group, or
// this one) and returns a handle to wait for its result from any loop. f is
// moved to the target loop's thread and destroyed there. The tasklet is
// spawned when the target loop next drains its door (LoopRef::post) and then
// runs like any other. When the target loop has ended (or ends before it
// spawns the tasklet), the handle reports that at join. Thread-safe: may be
// called from any thread. Throws std::logic_error for an empty LoopRef.
template <class F>
auto spawn_on(const LoopRef& loop, F&& f, SpawnOptions options = {})
    -> LoopTasklet<detail::result_t<F>> {
  using R = detail::result_t<F>;
  using Fn = std::decay_t<F>;
  if (!loop) throw std::logic_error("weft: spawn_on() with an empty LoopRef");
  auto st = std::make_shared<detail::CrossTaskletOf<R>>(detail::cross_tasklet_name(loop, options.name));
  // What is posted: it owns f until the target loop spawns the tasklet; if it
  // is dropped instead (the loop ended), the handle hears so.
  struct Start {
    std::shared_ptr<detail::CrossTaskletOf<R>> st;
    std::optional<Fn> fn;
    SpawnOptions options;
    LoopRef loop;
    ~Start() {
      if (fn) st->fail(detail::cross_not_started(loop));
    }
  };
  auto start = std::make_shared<Start>();
  start->st = st;
  start->options = std::move(options);
  start->loop = loop;
  start->fn.emplace(std::forward<F>(f));
  const bool posted = loop.post([start] {
    auto st = start->st;
    detail::CrossGuard guard(st);
    try {
      Tasklet t = Tasklet::spawn(
          [st, guard = std::move(guard), fn = std::move(*start->fn)]() mutable {
            try {
              if constexpr (std::is_void_v<R>) {
                fn();
                st->value = true;
              } else {
                st->value.emplace(fn());
              }
            } catch (const TaskletExit&) {
              st->fail(std::current_exception());
              throw;
            } catch (...) {  // carried to the handle (logged if nobody joins it)
              st->fail(std::current_exception());
              return;
            }
            guard.st.reset();
            st->done.set();
          },
          std::move(start->options));
      st->record = t.record();
    } catch (...) {
      st->fail(std::current_exception());
    }
    start->fn.reset();
  });
  if (!posted) start->fn.reset(), st->fail(detail::cross_not_started(loop));
  return LoopTasklet<R>(std::move(st), loop);
}

}  // namespace weft
