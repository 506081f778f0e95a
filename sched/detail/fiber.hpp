#pragma once
// The schedulable unit: a context, its stack and its place in the scheduler.
// The tasklet layer's record derives from Fiber and adds the name, the tree
// and the result; the scheduler owns everything else (it takes the stack at
// the first run and gives it back after the last switch). All fields are
// loop-thread only.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "weft/sched/detail/timer_heap.hpp"
#include "weft/sched/detail/context.hpp"
#include "weft/sched/detail/stack_pool.hpp"
#include "weft/sched/park.hpp"

namespace weft::detail {

class Loop;

inline constexpr std::int64_t kNever = INT64_MAX;
// Bytes right below an unguarded stack that must stay zero (its canary), in
// the unused gap below it (see stack_pool.hpp): checked when its tasklet ends.
inline constexpr std::size_t kCanaryBytes = 1024;

enum class FiberState : std::uint8_t {
  created,   // spawned, never run: no stack yet; in the run queue
  runnable,  // in the run queue
  running,   // the loop's current fiber
  parked,    // waiting for unpark() or its deadline
  finished,  // done; its stack is released after its last switch
};

// Per-tasklet state kept outside the record (the mailbox, TaskLocal values), one slot
// per layer: made by its layer on first use, destroyed when the tasklet finishes.
struct TaskletExtension {
  virtual ~TaskletExtension() = default;
  // Messages waiting in it, for the dump (the mailbox's slot says; others 0).
  virtual std::size_t pending() const noexcept { return 0; }
};
enum class TaskletSlot : unsigned { mailbox, locals, count };

// Field order follows use. What one wake-up of a parked fiber touches, from
// its unpark to its next park, fills the first two cache lines (records are
// 64-byte aligned: the tasklet layer's RecordPool). The first holds all that
// unpark() touches: the context (its switch fields first; the rest of its 48
// bytes is read only when it is made or a sanitizer annotates a switch),
// state, wake, the kill flags and the queue slot. The second holds what the
// fiber itself reads and writes until it parks again: the deadline scope,
// the canary, the killer, and what a park writes and reads (parked_at,
// park_deadline, the timer's index and deadline). The context comes first: a
// switch passes &ctx, the fiber's own address. A message hop reads those
// lines and the loop and mailbox slot (the third); see docs/sched.md, "One
// wake-up's cost".
struct Fiber {
  Context ctx;                    // saved registers/stack pointer while not running
  FiberState state = FiberState::created;
  Wake wake = Wake::none;         // why the last park ended
  bool kill_pending = false;      // TaskletExit to deliver at the next interruptible park
  bool uninterruptible = false;   // parked in a wait that a kill must not break
  bool resting = false;           // parked without a stack: when woken, its body runs again from
                                  // its entry on a new stack (see rest_on)
  WaitKind wait_kind = WaitKind::other;  // while parked: what it waits on (see park())
  bool daemon = false;            // does not keep dispatch() running
  bool is_tasklet = true;         // false for the loop's own (scheduler) context
  union {
    std::size_t rq_slot = 0;      // position in the run queue while queued
    const void* wait_on;          // while parked (never queued then): what wait_kind names.
                                  // Shares the slot so the record does not grow.
  };
  std::uint32_t parked_at = 0;    // while parked: the loop's coarse clock when it parked
                                  // (Loop::coarse_now)
  std::uint8_t teardown_round = 0;  // last exit-time kill round that reached it
  bool ending = false;            // its tasklet is finishing: its slots (ext) are going
  std::int64_t scope_deadline = kNever;  // innermost DeadlineScope (loop clock, ns)
  const char* canary = nullptr;   // unguarded stacks: kCanaryBytes right below the stack
                                  // (nullptr: guarded); see Loop::check_stack
  Fiber* killer = nullptr;        // resumed next when this fiber parks or finishes after kill()
  std::int64_t park_deadline = kNever;  // the current park's deadline (loop clock, ns)
  TimerNode timer;                // armed at or before park_deadline while parked with one; may
                                  // stay armed after an earlier wake-up (re-used by the next park)
  Loop* loop = nullptr;           // the loop it belongs to (set by add_fiber)
  std::unique_ptr<TaskletExtension> ext[static_cast<unsigned>(TaskletSlot::count)];
  Fiber* live_next = nullptr;     // the loop's list of unfinished fibers
  Fiber* live_prev = nullptr;
  std::int64_t scope_span = 0;    // the innermost scope's own length, for messages (ns)
  std::size_t stack_request = 0;  // stack reserve asked for at spawn (0: the loop's default)
  Stack stack;                    // from its first run to its last switch

  // Put back what a life may change (see below), in two steps.
  void reset_after_life() noexcept;
  void reset_for_reuse() noexcept;
};

// A wake-up's fields (see above) stay in the first two lines.
static_assert(offsetof(Fiber, ctx) == 0 && offsetof(Fiber, rq_slot) + 8 <= 64 &&
                  offsetof(Fiber, timer) + offsetof(TimerNode, deadline) + 8 <= 128,
              "a wake-up's fields of Fiber must fit its first two cache lines");

// A finished fiber's memory kept for the next one (the tasklet layer's spare
// records): the fields its life may have changed go back to their defaults
// above, in two steps, each where the lines they lie in are in the cache
// anyway, so that the release of a finished record between the two touches
// few lines. reset_after_life, when it ends (Loop::exit_current,
// finish_unstarted): what a park and a deadline scope change, which nobody
// reads of a finished fiber. reset_for_reuse, when a spare is taken for a
// new tasklet: what a finished tasklet's handle may still read (daemon) or
// its spawn set (stack_request, scope_span). Not stored: the killer (the
// switch that resumes it clears it: null after every life), what every start
// sets (state, loop, the live links, the context at the first run), what a
// finished and released fiber has back already (its timer is unarmed, its
// other fields read only while armed; its stack base and canary are null,
// the other stack fields read only with a base; its ext slots: the tasklet
// layer tests them, see TaskletRecord::holds_nothing), and is_tasklet (fixed
// at construction).
inline void Fiber::reset_after_life() noexcept {
  wake = Wake::none;
  kill_pending = false;
  uninterruptible = false;
  resting = false;
  wait_kind = WaitKind::other;
  rq_slot = 0;
  parked_at = 0;
  teardown_round = 0;
  ending = false;
  scope_deadline = kNever;
  park_deadline = kNever;
}

inline void Fiber::reset_for_reuse() noexcept {
  daemon = false;
  scope_span = 0;
  stack_request = 0;
}

// A field added to Fiber fails this until reset_for_reuse is reviewed for it
// (then update the size). Checked where the size is known: LP64, libstdc++.
#if defined(__GLIBCXX__) && __SIZEOF_POINTER__ == 8
static_assert(sizeof(Fiber) == 224, "a field was added to Fiber: update Fiber::reset_for_reuse");
#endif

// Starts fetching the top `lines` cache lines of f's stack: its saved
// registers and innermost frames, which the switch to it reads first. Nothing
// before its first run (no stack pointer yet).
inline void prefetch_stack(const Fiber& f, int lines) noexcept {
  const auto* sp = static_cast<const char*>(f.ctx.fctx);
  if (sp == nullptr) return;
  for (int line = 0; line < lines; ++line) __builtin_prefetch(sp + 64 * line);
}

}  // namespace weft::detail
