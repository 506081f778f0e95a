#pragma once
// Extension API: what a layer above sched (tasklet, mailbox, sync, io,
// compat_twisted) needs from the loop. Layers keep their own state in slots
// (one per loop, one per tasklet), find the running tasklet, and park and wake
// it through the one wait core; the tasklet layer runs its fibers through
// run_loop and add_fiber. The Fiber type is here because the tasklet layer's
// record derives from it. Layers call only what this header declares, never
// Loop's members (its definition comes along for the inline wait core).
// Everything here is loop-thread only.

#include "weft/sched/config.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "weft/sched/detail/fiber.hpp"
#include "weft/sched/detail/loop.hpp"
#include "weft/sched/detail/loop_hooks.hpp"
#include "weft/sched/log.hpp"
#include "weft/sched/loop.hpp"
#include "weft/sched/park.hpp"

namespace weft::detail {

// The loop of this thread, or nullptr outside dispatch().
inline Loop* current_loop() noexcept { return tls_loop; }

// The loop of this thread. Throws std::logic_error ("weft: <what> needs a
// running loop (dispatch())") outside dispatch().
Loop& require_loop(std::string_view what);

// True when called from a tasklet (false in the loop's own context and
// outside dispatch()).
inline bool in_tasklet() noexcept {
  Loop* loop = tls_loop;
  return loop != nullptr && loop->in_tasklet();
}

// The running tasklet's fiber, or nullptr outside a tasklet. (current_fiber()
// in sched/park.hpp is the throwing form.)
inline Fiber* running_tasklet() noexcept {
  Loop* loop = tls_loop;
  return loop != nullptr && loop->in_tasklet() ? loop->running() : nullptr;
}

// Deadline::from(t) for the running fiber f. Inline: a socket call that
// parks resolves its timeout right before the park, and out of line this was
// one more frame below the parked tasklet's, a stack line cold at its next
// wake-up (docs/sched.md, "One wake-up's cost").
inline Deadline resolve_deadline(const Fiber& f, Timeout t) noexcept {
  const std::int64_t scope = f.scope_deadline;
  if (t.kind() != Timeout::Kind::after) return Deadline(scope, f.scope_span, scope != kNever);
  const std::int64_t span = t.duration().count();
  const std::int64_t base = deadline_base_ns(span);
  const std::int64_t own = base > INT64_MAX - span ? INT64_MAX : base + span;
  if (own <= scope) return Deadline(own, span, false);
  return Deadline(scope, f.scope_span, true);
}

// ---- running a loop (the tasklet layer's dispatch(); LoopHooks: sched/detail/loop_hooks.hpp)

struct LoopSetup {
  LogHandler log;                 // where the loop's messages go (empty: stderr)
  bool handle_signals = true;     // SIGINT/SIGTERM quit with 130/143
  std::size_t default_stack = 0;  // stack reserve of a fiber that asks for none (0: built-in)
  bool virtual_time = false;      // the loop clock jumps when nothing can run (docs/virtual_time.md)
  std::uint64_t schedule_seed = 0;  // non-zero: seeded order of the run queue
  LogLevel log_level = LogLevel::debug;  // messages below it are dropped
  bool dump_on_sigquit = false;   // SIGQUIT writes the dump to stderr (Report::sigquit)
  std::int64_t blocked_threshold_ns = 0;  // > 0: the blocked-loop watchdog (Loop::start_watchdog)
  std::int64_t linger_report_ns = -1;  // Report::main_lingers after that long (< 0: never)
};

// Makes this thread's loop, calls start(ctx) in the loop's own context (it
// fills the layer's slots and spawns the first fibers), runs until quit() or
// until no non-daemon fiber is left, kills what remains and returns the exit
// code. `stats_at_exit`, when set, receives loop_stats() after that teardown.
// Throws std::logic_error when a loop already runs on this thread.
int run_loop(const LoopHooks& hooks, const LoopSetup& setup, void (*start)(void*), void* ctx,
             LoopStats* stats_at_exit);

// run_loop for a group of `loops` loops (0: one per core): loop 0 on this
// thread (with signal handling when setup asks for it), the others on new
// threads that block SIGINT and SIGTERM. start(ctx, i) runs in loop i's own
// context once every loop exists. Returns quit()'s code when it was called on
// any loop, else the first non-zero exit code in index order, else 0.
// `stats_at_exit` receives the sum over the loops. setup.log, when set, is
// called under a mutex (one line at a time). Throws std::logic_error when a
// loop already runs on this thread, std::system_error when a thread cannot start.
int run_loops(const LoopHooks& hooks, const LoopSetup& setup, std::size_t loops,
              void (*start)(void*, std::size_t), void* ctx, LoopStats* stats_at_exit);

// Applies setup's per-loop settings to a new loop (SIGQUIT only when `sigquit`).
void configure(Loop& loop, const LoopSetup& setup, bool sigquit);

// The number of CPUs this process may run on (at least 1).
std::size_t cpu_count() noexcept;

// The exit code run_loop returns, unless quit() already set one.
void set_exit_code(int code) noexcept;

// Registers a new fiber (its stack_request and daemon set) on the current
// loop and queues it at the back; it gets its stack when it first runs.
// Throws std::bad_alloc, having changed nothing, when there is no room.
// Precondition: a loop runs on this thread.
void add_fiber(Fiber& f);

// Delivers a kill to `f`, a fiber of the current loop (see Tasklet::kill):
// runs it until it has unwound or parks again. Throws TaskletExit when `f` is
// the running fiber itself.
void kill_fiber(Fiber& f);

// ---- per-loop state of a layer (ExtSlot, LoopExtension: sched/detail/loop_hooks.hpp)

// Slot `s` of `loop`: empty until the layer fills it.
std::unique_ptr<LoopExtension>& loop_slot(Loop& loop, ExtSlot s) noexcept;

// The layer's state of type T in slot `s` of the current loop, made with T()
// on first use. Throws as require_loop(what) outside dispatch().
template <class T>
T& loop_slot(ExtSlot s, std::string_view what) {
  std::unique_ptr<LoopExtension>& slot = loop_slot(require_loop(what), s);
  if (!slot) slot = std::make_unique<T>();
  return static_cast<T&>(*slot);
}

// The same, or nullptr when there is no loop or the slot is still empty.
template <class T>
T* find_loop_slot(ExtSlot s) noexcept {
  Loop* loop = current_loop();
  return loop == nullptr ? nullptr : static_cast<T*>(loop_slot(*loop, s).get());
}

// ---- per-tasklet state of a layer
//
// Fiber::ext[TaskletSlot]: made by its layer on first use, destroyed when the
// tasklet finishes (TaskletSlot and TaskletExtension are in
// sched/detail/fiber.hpp, beside the Fiber that holds them).

// The layer's state of type T in slot `s` of `f`, or nullptr when it has none.
template <class T>
T* find_tasklet_slot(Fiber& f, TaskletSlot s) noexcept {
  return static_cast<T*>(f.ext[static_cast<unsigned>(s)].get());
}

// ---- seeing inside (the dump, the exit diagnostics; docs/observe.md)

// The current loop's unfinished fibers, oldest first (go on with
// Fiber::live_next); nullptr when there are none or no loop.
Fiber* first_live_fiber() noexcept;

// How long parked fiber `f` has waited, ns: from its stamp, the loop's clock
// at its last poll before the park (so at least the real time, and at most one
// poll interval more).
std::int64_t parked_for_ns(const Fiber& f) noexcept;

// A fiber's stack: bytes in use (above its saved stack pointer, or the
// caller's own for the running fiber), bytes of the reserve touched so far
// (resident pages: a high-water of the stack, earlier users of a pooled stack
// included) and the reserve. All 0 without a stack.
struct StackUse {
  std::size_t used = 0;
  std::size_t touched = 0;
  std::size_t reserve = 0;
};
StackUse stack_use(const Fiber& f) noexcept;

// "<indent>at function+0x12" lines: where parked fiber `f` waits (unwound
// from the registers its switch saved), or where the caller is when `f` is
// the running one. One "<indent>(why)" line when there is none to give.
std::string backtrace_of(const Fiber& f, const char* indent);

// The tasklet layer tells the loop that `main` is ending (see Report).
void main_finished() noexcept;

// ---- writing to pipes and terminals

// write(fd, data, n) that raises no SIGPIPE when fd is a pipe or FIFO whose
// reader has gone (it fails with EPIPE instead), without changing the
// program's SIGPIPE disposition or mask (sigpipe.cpp). For fds that are not
// sockets (sockets use send(MSG_NOSIGNAL)); the log's stderr and non-socket
// Sockets use it.
ssize_t write_without_sigpipe(int fd, const void* data, std::size_t n) noexcept;

// ---- the wait core for hot paths
//
// park() and unpark() (sched/park.hpp) find the loop and the running fiber
// themselves; a path that already holds them (a mailbox receive, a call's
// reply) passes them in. These are inline, and so this header includes the
// loop's definition: on a message round trip every call and return around
// the two context switches shows (see docs/sched.md, "The message path").

// Fires when a parked fiber's deadline passes (park.cpp).
void on_park_deadline(TimerNode& n) noexcept;
// Whether armed node `n` still bounds a wait: false for a fiber's timer left
// armed by a park that has ended (see park_on).
bool deadline_pending(const TimerNode& n) noexcept;

// What park_on and rest_on do before the fiber waits: a pending kill ends the
// wait (Wake::killed), a deadline already passed too (Wake::timed_out);
// otherwise the deadline is armed and Wake::none says wait.
//
// The fiber's timer is lazy: a wait that ends before its deadline leaves it
// armed, and the next wait re-uses it when it fires no later than the new
// deadline (on_park_deadline re-arms it then). A connection that reads with a
// 60 s idle bound thus costs no heap operation per read, only one per idle
// period.
[[gnu::always_inline]] inline Wake begin_wait(Loop& loop, Fiber& self, const Deadline& d) noexcept {
  if (__builtin_expect(self.kill_pending, 0) && !self.uninterruptible) {
    self.kill_pending = false;
    return Wake::killed;
  }
  self.park_deadline = d.ns();
  self.parked_at = loop.coarse_now();
  if (!d.is_never()) {
    if (deadline_passed(d.ns(), d.span_ns())) return Wake::timed_out;
    if (!self.timer.armed() || self.timer.deadline > d.ns()) {
      self.timer.fire = on_park_deadline;
      loop.timers().arm(self.timer, d.ns());
    }
  }
  return Wake::none;
}

// park(d, kind, on) for `self`, the running fiber of `loop`. Always inline
// (so is the switch in it): LTO made it a call with a frame of its own, one
// more between a parked tasklet's frames and its saved registers.
[[gnu::always_inline]] inline Wake park_on(Loop& loop, Fiber& self, const Deadline& d, WaitKind kind,
                    const void* on) noexcept {
  const Wake early = begin_wait(loop, self, d);
  if (early != Wake::none) return early;
  self.wait_kind = kind;
  self.wait_on = on;
  self.state = FiberState::parked;
  self.wake = Wake::none;
  loop.switch_out();
  return self.wake;
}

// Instead of parking, the running fiber rests: the caller returns at once,
// and when the fiber's body then returns to its entry (which it must do next,
// running no other wait), the fiber parks without a stack. Its stack goes
// back to the pool; when it is unparked, or at d, it takes one again and its
// body runs again from the start (the tasklet's callable keeps its state).
// For tasklets that wait for their next piece of work with no frame of user
// code on the stack: an idle receiver or ticker costs its record, not a stack.
// Returns Wake::none (rest: return now), Wake::killed when a kill is pending
// (the caller throws TaskletExit) or Wake::timed_out when d has passed
// (nothing done: go on). `kind` is what it waits for (sleep or receive).
inline Wake rest_on(Loop& loop, Fiber& self, const Deadline& d, WaitKind kind) noexcept {
  const Wake early = begin_wait(loop, self, d);
  if (early == Wake::none) {
    self.resting = true;
    self.wait_kind = kind;
    self.wait_on = nullptr;
  }
  return early;
}

// unpark(f, why, first) on `loop`, f's loop (the running one). f's timer
// stays armed (see park_on).
inline void unpark_on(Loop& loop, Fiber& f, Wake why, bool first) noexcept {
  if (f.state != FiberState::parked) return;
  f.wake = why;
  loop.make_runnable(f, first);
  if (__builtin_expect(f.resting, 0)) {  // its body starts again, on a new stack
    f.resting = false;
    f.state = FiberState::created;
  }
}

// If f has not started yet (it waits in the run queue), it moves to the head
// of the queue: it runs next once the caller parks. A join uses it (the
// joiner parks anyway): a tree of tasklets that join their children then
// runs depth first, and only a path's worth of stacks is ever in use.
inline void run_next(Loop& loop, Fiber& f) noexcept {
  if (f.state == FiberState::created) loop.run_next(f);
}

// The running tasklet goes to the back of the run queue and every other
// runnable one runs once. Returns Wake::killed (the caller throws TaskletExit)
// when a kill was pending or arrived meanwhile, else Wake::none. Must be
// called in a tasklet.
Wake yield_turn() noexcept;

// yield_turn(), and the loop polls for IO, deadlines and signals before the
// next tasklet runs (unless it polled less than Loop::kPollIntervalNs ago):
// for a tasklet whose IO keeps succeeding and so never parks, that it cannot
// starve the others.
Wake yield_for_poll() noexcept;

// Deadline::from(t) for the running fiber `self`, without looking it up again
// when neither t nor an enclosing scope bounds the wait.
inline Deadline deadline_for(Timeout t, const Fiber& self) {
  if (t.kind() != Timeout::Kind::after && self.scope_deadline == kNever) return Deadline::never();
  return Deadline::from(t);
}

}  // namespace weft::detail
