#pragma once
// Extension API: what a layer above sched (tasklet, mailbox, sync, io,
// compat_twisted) needs from the loop -- and nothing of how the loop works.
// Layers keep their own state in slots (one per loop, one per tasklet), find
// the running tasklet, and park and wake it through the one wait core. The
// Fiber type is here because the tasklet layer's record derives from it.
// Everything here is loop-thread only.

#include <cstddef>
#include <exception>
#include <memory>
#include <string_view>

#include "sched/detail/fiber.hpp"
#include "sched/log.hpp"
#include "sched/loop.hpp"
#include "sched/park.hpp"

namespace weft::detail {

class Loop;
// The one global: the loop of the running thread (see current_loop()).
extern thread_local constinit Loop* tls_loop __attribute__((tls_model("initial-exec")));

// The loop of this thread, or nullptr outside dispatch().
inline Loop* current_loop() noexcept { return tls_loop; }

// The loop of this thread. Throws std::logic_error ("weft: <what> needs a
// running loop (dispatch())") outside dispatch().
Loop& require_loop(std::string_view what);

// True when called from a tasklet (false in the loop's own context and
// outside dispatch()).
bool in_tasklet() noexcept;

// The running tasklet's fiber, or nullptr outside a tasklet. (current_fiber()
// in sched/park.hpp is the throwing form.)
Fiber* running_tasklet() noexcept;

// ---- running a loop (the tasklet layer's dispatch())

// What the layer that makes fibers (tasklet/) provides to the scheduler. All
// called on the loop thread.
struct LoopHooks {
  // The fiber's body, run on its own stack at its first switch-in. Returns
  // when the fiber is done; the loop then switches away from it for good.
  void (*run)(Fiber&) noexcept = nullptr;
  // Finishes a fiber that will not run (the rest of) its body, with `why` as
  // its result: TaskletExit for a kill before its first run, the error when no
  // stack could be had for it. The loop then calls finish_unstarted and release.
  void (*finish_unrun)(Fiber&, std::exception_ptr why) noexcept = nullptr;
  // After a finished fiber's last switch (its stack is back in the pool):
  // drops the loop's reference.
  void (*release)(Fiber&) noexcept = nullptr;
  // Writes the fiber's name into buf (async-signal-safe: no allocation).
  std::size_t (*describe)(const Fiber&, char* buf, std::size_t n) noexcept = nullptr;
  // Housekeeping when the loop is about to block (trimming pooled records).
  // Returns true when more is left to do: the loop then polls without blocking.
  bool (*idle)() noexcept = nullptr;
};

struct LoopSetup {
  LogHandler log;                 // where the loop's messages go (empty: stderr)
  bool handle_signals = true;     // SIGINT/SIGTERM quit with 130/143
  std::size_t default_stack = 0;  // stack reserve of a fiber that asks for none (0: built-in)
};

// Makes this thread's loop, calls start(ctx) in the loop's own context (it
// fills the layer's slots and spawns the first fibers), runs until quit() or
// until no non-daemon fiber is left, kills what remains and returns the exit
// code. `stats_at_exit`, when set, receives loop_stats() after that teardown.
// Throws std::logic_error when a loop already runs on this thread.
int run_loop(const LoopHooks& hooks, const LoopSetup& setup, void (*start)(void*), void* ctx,
             LoopStats* stats_at_exit);

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

// ---- per-loop state of a layer

// One slot per layer; torn down with the loop, in reverse slot order.
enum class ExtSlot : unsigned { tasklet, mailbox, io, twisted, count };

struct LoopExtension {
  virtual ~LoopExtension() = default;
  // Adds this layer's figures to loop_stats().
  virtual void add_stats(LoopStats&) const noexcept {}
};

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

// ---- the wait core for hot paths
//
// park() and unpark() (sched/park.hpp) find the loop and the running fiber
// themselves; a path that already holds them (a mailbox receive, a call's
// reply) passes them in.

// park(d) for `self`, the running fiber of `loop`.
Wake park_on(Loop& loop, Fiber& self, const Deadline& d) noexcept;
// unpark(f, why, first) on `loop`, f's loop (the running one).
void unpark_on(Loop& loop, Fiber& f, Wake why, bool first) noexcept;
// The running tasklet goes to the back of the run queue and every other
// runnable one runs once. Returns Wake::killed (the caller throws TaskletExit)
// when a kill was pending or arrived meanwhile, else Wake::none. Must be
// called in a tasklet.
Wake yield_turn() noexcept;
// Deadline::from(t) for the running fiber `self`, without looking it up again
// when neither t nor an enclosing scope bounds the wait.
inline Deadline deadline_for(Timeout t, const Fiber& self) {
  if (t.kind() != Timeout::Kind::after && self.scope_deadline == kNever) return Deadline::never();
  return Deadline::from(t);
}

}  // namespace weft::detail
