#pragma once
// The loop: one per OS thread, reached through the single thread_local pointer.
// It owns the run queue, the deadline heap, the poller (libev, behind
// sched/detail/poller.hpp), the fibers' stacks and, through extension slots
// (sched/extension.hpp), the state of the layers above (the tasklet layer's
// records, the io layer's pools, ...).
//
// Switching is direct: a tasklet that parks switches straight to the next
// runnable one. The loop's own context (the thread's stack) runs only when the
// run queue is empty, when a poll is due (every kPollEvery switches, so that
// IO-ready and timed-out tasklets get their turn even under yield_() storms),
// or when quit() was called. See docs/sched.md.

#include <signal.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>

#include "weft/sched/detail/fiber.hpp"
#include "weft/sched/detail/loop_hooks.hpp"
#include "weft/sched/detail/overflow.hpp"
#include "weft/sched/detail/poller.hpp"
#include "weft/sched/detail/run_queue.hpp"
#include "weft/sched/detail/stack_pool.hpp"
#include "weft/sched/detail/timer_heap.hpp"
#include "weft/sched/log.hpp"

namespace weft::detail {

struct Remote;
class LoopGroup;
class WorkerPool;
class Watchdog;

// Fresh reading of the loop clock (steady_clock), ns.
std::int64_t clock_ns() noexcept;
// CLOCK_MONOTONIC in ns, whatever the loop's clock (poll cadence, watchdogs).
std::int64_t real_clock_ns() noexcept;
// What a deadline `span` ns away is counted from: clock_ns() for spans under
// kCoarseMinSpanNs (and in virtual time); for longer ones the kernel's coarse
// clock plus a margin of two ticks and 2 ms, read without the TSC: ~6 ns here
// against 30-60 ns for a fine reading (rdtsc is slow in a VM). The coarse
// clock is CLOCK_MONOTONIC as of the last tick, and lags it by 1-5.5 ms on a
// 4 ms tick here (measured), so such a deadline ends up to the margin (10 ms
// here) late, and early only if the coarse clock lags by more than that.
std::int64_t deadline_base_ns(std::int64_t span) noexcept;
// Whether absolute deadline `ns` (loop clock), made from a span of `span` ns,
// has passed. A long one (span >= kCoarseMinSpanNs) lying beyond the coarse
// clock plus the margin has not, and is known without a fine reading; should
// the coarse clock lag by more, a deadline that passed a moment ago is taken
// for a future one and the wait ends timed out at the next poll instead.
// Shorter ones (a zero timeout among them) are always tested exactly.
bool deadline_passed(std::int64_t ns, std::int64_t span) noexcept;
inline constexpr std::int64_t kCoarseMinSpanNs = 2'000'000'000;
// The margin over the coarse clock, for its resolution `tick`.
constexpr std::int64_t coarse_margin_ns(std::int64_t tick) noexcept { return 2 * tick + 2'000'000; }

struct LoopCounters {
  std::size_t live_watchers = 0;  // fd/signal waits and Timers created by weft code
  std::uint64_t polls = 0;        // polls for IO, deadlines and signals
  std::uint64_t timers_fired = 0; // deadlines that passed (park deadlines and Timers)
};

// What the loop's pulse says to the blocked-loop watchdog (another thread):
// written by the loop thread only, with relaxed stores (a plain store on x86).
struct LoopPulse {
  std::atomic<std::uint64_t> switches{0};  // context switches so far
  std::atomic<bool> polling{false};        // blocked in the poller (not holding the loop)
  std::atomic<std::int64_t> max_run_ns{0}; // written by the watchdog: the longest hold seen
};

class Loop {
 public:
  // default_stack: the stack reserve of a fiber that asks for none (0: the
  // built-in default).
  Loop(const LoopHooks& hooks, LogHandler log, bool handle_signals, std::size_t default_stack);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // ---- scheduling core (see park.cpp for park/unpark)
  Fiber* running() const noexcept { return current_; }
  bool in_tasklet() const noexcept { return current_ != &main_; }
  // Registers a new fiber (state created) and queues it at the back; it gets
  // its stack when it first runs. Throws std::bad_alloc, having changed
  // nothing, when there is no room for it.
  void add_fiber(Fiber& f);
  void make_runnable(Fiber& f, bool first) noexcept {
    // It runs soon: with a thousand tasklets taking turns, the top of its
    // stack has left the L1 cache.
    prefetch_stack(f, kPrefetchLines);
    queue(f, first);
  }
  // f, created and queued, moves to the head of the run queue.
  void run_next(Fiber& f) noexcept { runq_.move_to_front(f); }
  // Queues f without prefetching (for the running fiber: its stack is hot).
  void queue(Fiber& f, bool first) noexcept {
    f.state = FiberState::runnable;
    if (first) runq_.push_front(f); else runq_.push_back(f);
  }
  // The running fiber gives up the CPU; it must already be parked or queued.
  // Inline into the park (with pick_next and switch_to): its own frame would
  // be one more between the parked tasklet's frames and the switch's saved
  // registers.
  [[gnu::always_inline]] void switch_out() noexcept {
    Fiber* self = current_;
    Fiber* next;
    if (__builtin_expect(self->killer != nullptr, 0)) {
      next = self->killer;
      self->killer = nullptr;
    } else {
      next = pick_next();
    }
    if (next == self) {  // yield_ with nobody else to run
      self->state = FiberState::running;
      return;
    }
    switch_to(*next);
  }
  // The running fiber goes to the back of the run queue and the next one runs
  // (yield_'s fast path: one rotation of the queue and one switch).
  void yield_current() noexcept {
    Fiber* self = current_;
    self->wake = Wake::none;
    queue(*self, false);
    Fiber* next = pick_next();
    if (next == self) {
      self->state = FiberState::running;
      return;
    }
    switch_to(*next);
  }
  // The next switch goes to the loop, which polls (unless it polled less than
  // kPollIntervalNs ago) before the run queue goes on. No-op after quit().
  void poll_next() noexcept {
    if (ticks_left_ > 1) ticks_left_ = 1;
  }
  // The running fiber is done: switch away for good (its stack is reaped by
  // whatever runs next).
  [[noreturn]] void exit_current() noexcept;
  // Called first thing on every resumed context (and a fiber's first run).
  void after_switch() noexcept {
    if (zombie_ != nullptr) reap_zombie();
  }
  // Finishes the bookkeeping of a fiber that never ran (kill before start,
  // or a stack that could not be allocated).
  void finish_unstarted(Fiber& f) noexcept;
  // Delivers a kill (see Tasklet::kill): runs the victim until it has unwound
  // or parks again. Throws TaskletExit when `f` is the running fiber.
  void kill(Fiber& f);

  // ---- the loop
  // Runs until quit() or until no non-daemon fiber is left; then kills what
  // remains. Returns the exit code.
  int run();
  void quit(int code) noexcept;
  bool quitting() const noexcept { return quit_; }
  int exit_code() const noexcept { return exit_code_; }
  void set_exit_code(int code) noexcept {
    if (!quit_) exit_code_ = code;
  }

  TimerHeap& timers() noexcept { return timers_; }
  Poller& poller() noexcept { return *poller_; }
  StackPool& stacks() noexcept { return stacks_; }
  const std::shared_ptr<Remote>& remote() noexcept { return remote_; }
  WorkerPool& workers();
  std::unique_ptr<LoopExtension>& ext(ExtSlot s) noexcept {
    return ext_[static_cast<unsigned>(s)];
  }
  const LoopHooks& hooks() const noexcept { return hooks_; }
  const LogHandler& log_handler() const noexcept { return log_; }
  LoopCounters& counters() noexcept { return counters_; }
  LoopPulse& pulse() noexcept { return pulse_; }
  // The loop clock when it last polled, in units of 2^20 ns (about a
  // millisecond), wrapping: what a park stamps (Fiber::parked_at) instead of
  // reading the clock.
  std::uint32_t coarse_now() const noexcept { return coarse_now_; }
  static constexpr int kCoarseShift = 20;

  // ---- seeing inside (docs/observe.md)
  // SIGQUIT calls hooks().report(Report::sigquit). Call before run().
  void dump_on_sigquit();
  // Starts the blocked-loop watchdog: a thread that reports a context which
  // has held the loop for threshold_ns without switching. Call before run().
  void start_watchdog(std::int64_t threshold_ns);
  Watchdog* watchdog() const noexcept { return watchdog_.get(); }
  // Longest hold of the loop the watchdog has seen, ns (0 without it).
  std::int64_t max_run_ns() const noexcept;
  // Messages below `level` are dropped before the log handler.
  void set_log_level(LogLevel level) noexcept { log_level_ = level; }
  LogLevel log_level() const noexcept { return log_level_; }
  // After main ended with non-daemon tasklets left: report at once
  // (Report::main_returned) and, if they are still alive after delay_ns,
  // again (Report::main_lingers). delay_ns < 0: never.
  void main_finished() noexcept;
  void set_linger_report(std::int64_t delay_ns) noexcept { linger_delay_ns_ = delay_ns; }
  bool main_done() const noexcept { return main_done_; }
  std::size_t live_fibers() const noexcept { return live_.size(); }
  std::size_t live_nondaemon() const noexcept { return live_nondaemon_; }
  const LiveList& live() const noexcept { return live_; }
  std::size_t runnable() const noexcept { return runq_.size(); }
  // Becomes a daemon (or not) while alive: keeps the non-daemon count right.
  void set_daemon(Fiber& f, bool daemon) noexcept;

  // Virtual time (docs/virtual_time.md): the loop clock stands still while
  // anything can run and jumps to the next deadline when nothing can.
  void set_virtual_time(bool on) noexcept;
  bool virtual_time() const noexcept { return virtual_time_; }
  std::int64_t virtual_now() const noexcept { return virtual_now_; }
  // A non-zero seed: the run queue is served in a seeded pseudo-random order.
  void set_schedule_seed(std::uint64_t seed) noexcept;

  // Makes this loop loop `index` of `group` (before it runs anything).
  void join_group(LoopGroup& group, std::size_t index) noexcept;
  LoopGroup* group() const noexcept { return group_; }
  std::size_t index() const noexcept { return index_; }

  // Runs the callbacks posted from other threads (called by the poller).
  void drain_remote() noexcept;

  // While tasklets stay runnable, the loop polls for IO and deadlines once
  // every kPollEvery switches (Tokio and Go poll every 61 scheduling ticks for
  // the same reason) -- unless less than kPollIntervalNs passed since the last
  // poll: in a storm of cheap switches a system call per 61 switches would
  // cost more than the switches themselves. An IO-ready tasklet thus waits at
  // most max(61 switches, 100 us) behind busy ones.
  static constexpr int kPollEvery = 61;
  // Cache lines of a woken fiber's stack prefetched by make_runnable.
  static constexpr int kPrefetchLines = 4;
  static constexpr std::int64_t kPollIntervalNs = 100'000;
  // Pooled stacks given back to the kernel per idle moment (see StackPool::trim).
  static constexpr std::size_t kTrimStacks = 1024;

 private:
  // The next context to run: the run queue's head, or the loop's own context
  // when the queue is empty, a poll is due or quit() was called. Always
  // inline, as switch_to: out of line (LTO's choice), each is a call and a
  // frame of its own on the parking tasklet's stack, cold at its next
  // wake-up when thousands take turns (docs/sched.md, "One wake-up's cost").
  [[gnu::always_inline]] Fiber* pick_next() noexcept {
    if (__builtin_expect(--ticks_left_ > 0, 1)) {  // (quit() makes it negative)
      // A pop from the ring prefetches one turn ahead: make_runnable's
      // prefetch comes too early when the queue is long (at saturation a
      // woken fiber waits behind hundreds); docs/sched.md, "Prefetch one
      // turn ahead".
      Fiber* f = runq_.take(kPrefetchLines);
      if (f != nullptr) {
        // A new fiber (a join runs it next) gets its stack first.
        if (f->state != FiberState::created || start(*f)) return f;
      }
    }
    return pick_next_slow();
  }
  Fiber* pick_next_slow() noexcept;
  [[gnu::always_inline]] void switch_to(Fiber& next) noexcept {
    Fiber* self = current_;
    if (self->canary != nullptr) check_stack_pointer(*self);
    next.state = FiberState::running;
    current_ = &next;
    beat();
    switch_context(self->ctx, next.ctx);
    after_switch();
  }
  // Counts a switch (loop_stats, the watchdog): a load, an add and a store.
  void beat() noexcept {
    pulse_.switches.store(pulse_.switches.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
  }
  void set_quit() noexcept {
    quit_ = true;
    ticks_left_ = INT32_MIN / 2;
  }
  void reap_zombie() noexcept;
  // The running fiber's body has returned to its entry asking to rest (see
  // rest_on): it parks, and its stack goes back once it has switched away.
  [[noreturn]] void rest_current() noexcept;
  // The running fiber switches away from its stack for good (it finished or
  // rests): the next context gives the stack back.
  [[noreturn]] void leave_stack() noexcept;
  void release_stack(Fiber& f) noexcept;
  // Gives a created fiber its stack and context before its first switch-in.
  // Returns false when no stack could be had: the fiber is then finished with
  // that error and released.
  bool start(Fiber& f) noexcept;
  // start()'s stack from the pool (beyond its hot stack), or its failure as above.
  bool acquire_stack(Fiber& f) noexcept;
  // A finished fiber after its last switch: its stack goes back to the pool
  // and the tasklet layer drops the loop's reference.
  void release(Fiber& f) noexcept;
  [[noreturn]] static void fiber_entry(void* arg) noexcept;
  // Whether run() goes on: not quitting, and work here (or, in a group, anywhere).
  bool keep_running() noexcept;
  void poll_once(bool block);
  // Virtual time's poll: true when it handled this round (see poll_once).
  bool poll_virtual();
  // The next fiber of the run queue (seeded order when a seed is set).
  Fiber* take_next() noexcept;
  std::uint64_t next_random() noexcept;
  // Before the loop blocks with no deadline: report the tasklets that nothing
  // can wake (no timer, fd, signal, worker or other thread can reach them).
  void check_deadlock() noexcept;
  static void on_linger(TimerNode& n) noexcept;
  void fire_timers() noexcept;
  void teardown() noexcept;
  // An unguarded stack at a switch away from it: its stack pointer must lie
  // within it. Only a frame alive at the switch can be below the stack, and
  // the gap below takes what it wrote, so a pointer comparison is the check.
  void check_stack_pointer(const Fiber& f) const noexcept;
  // An unguarded stack at its tasklet's end: the stack pointer, and its canary
  // (an overflow that wrote into the gap and returned before any switch).
  void check_stack(const Fiber& f) const noexcept;
  void close_remote() noexcept;

  Fiber main_;            // the loop's own context: the thread's stack
  Fiber* current_;        // the running fiber (&main_ in the loop's context)
  Fiber* zombie_ = nullptr;  // finished fiber waiting for its stack to be reaped
  RunQueue runq_;
  LiveList live_;
  TimerHeap timers_;
  std::size_t live_nondaemon_ = 0;
  // Switches left before a poll is due; quit() sets it far below zero, so
  // that pick_next's one test also sends every switch to the loop after it.
  int ticks_left_ = kPollEvery;
  std::int64_t last_poll_ns_ = 0;
  bool quit_ = false;
  int exit_code_ = 0;
  LoopHooks hooks_;
  LogHandler log_;
  AltSignalStack alt_stack_;  // where the guard-page overflow handler runs
  StackPool stacks_;
  LoopCounters counters_;
  LoopPulse pulse_;
  std::uint32_t coarse_now_ = 0;
  LogLevel log_level_ = LogLevel::debug;
  bool main_done_ = false;
  bool deadlock_reported_ = false;
  std::int64_t linger_delay_ns_ = -1;
  struct LingerTimer {    // Report::main_lingers, armed by main_finished
    TimerNode node;       // first: on_linger finds the loop from it
    Loop* loop = nullptr;
  } linger_;
  std::unique_ptr<Watchdog> watchdog_;
  Poller::Signal* sigquit_ = nullptr;
  struct sigaction saved_sigquit_ {};
  std::unique_ptr<Poller> poller_;
  std::shared_ptr<Remote> remote_;
  std::unique_ptr<WorkerPool> workers_;
  Poller::Signal* sigint_ = nullptr;
  Poller::Signal* sigterm_ = nullptr;
  struct sigaction saved_sigint_ {};   // restored when the loop ends
  struct sigaction saved_sigterm_ {};
  std::unique_ptr<LoopExtension> ext_[static_cast<unsigned>(ExtSlot::count)];
  Loop* previous_;        // the thread's loop before this one (nullptr)
  LoopGroup* group_ = nullptr;  // dispatch_loops' group, or none
  std::size_t index_ = 0;       // this loop's index in it
  bool idle_ = false;           // counted as idle in the group (no non-daemon work)
  bool virtual_time_ = false;
  std::int64_t virtual_now_ = 0;  // the loop clock under virtual time
  std::uint64_t seed_ = 0;        // xorshift state of the seeded order (0: round-robin)
};

// Writes "weft: stack overflow in <description of f>" to stderr and aborts.
// Async-signal-safe (used by the guard-page SIGSEGV handler too).
[[noreturn]] void report_stack_overflow(const Fiber& f) noexcept;

}  // namespace weft::detail
