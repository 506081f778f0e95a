#pragma once
// The loop as seen from user code: quit, statistics, and the thread-safe door
// (LoopRef::post). dispatch() itself lives in tasklet/dispatch.hpp because it
// runs `main` as the first tasklet.

#include "weft/sched/config.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace weft {

namespace detail {
struct Remote;
}

// Ends dispatch(): every remaining tasklet is killed (unwound) and dispatch()
// returns `code`. The caller keeps running until it next parks. The first call
// wins. Loop thread only.
void quit(int code = 0);

// Counts of what the current loop holds (the leak fixture checks they return to zero).
struct LoopStats {
  std::size_t live_tasklets = 0;   // spawned and not finished
  std::size_t runnable = 0;        // in the run queue
  std::size_t live_stacks = 0;     // stacks in use
  std::size_t pooled_stacks = 0;   // stacks kept for reuse
  std::size_t guarded_stacks = 0;  // stacks with a guard page or region below (in use or pooled)
  std::size_t live_records = 0;    // tasklet records not yet freed (handles keep them)
  std::size_t record_bytes = 0;    // memory mapped for tasklet records (in use or kept)
  std::size_t live_watchers = 0;   // fd/signal waits and armed Timers
  std::size_t pending_timers = 0;  // deadlines in the heap (parked tasklets and Timers)
  std::uint64_t switches = 0;      // context switches (tasklet to tasklet, and to and from the loop)
  std::uint64_t polls = 0;         // polls for IO, deadlines and signals
  std::uint64_t timers_fired = 0;  // deadlines that passed (timeouts, sleeps, Timers)
  // Longest time one tasklet (or the loop's own context) held the loop without
  // switching, ns, as sampled by the blocked-loop watchdog
  // (DispatchOptions::blocked_threshold; 0 without it).
  std::int64_t max_run_ns = 0;
};

// Statistics of the current loop. Loop thread only.
LoopStats loop_stats();

class LoopRef;

// The loops of dispatch_loops() (tasklet/dispatch.hpp). Loop thread only;
// under dispatch() there is one loop, index 0.
// This loop's index, 0 .. loop_count() - 1.
std::size_t loop_index();
// How many loops run together with this one (itself included).
std::size_t loop_count();
// The door of loop `index` of this group (this_loop() for its own index).
// Throws std::out_of_range when index >= loop_count().
LoopRef loop_at(std::size_t index);

// A copyable, thread-safe handle to a loop: the one door (with mailbox sends)
// through which other OS threads reach it.
class LoopRef {
 public:
  LoopRef() = default;
  // Runs f on the loop (in the loop's own context, not in a tasklet: it may
  // spawn tasklets and wake them, not block). Returns false, dropping f, when
  // the loop has ended. Functions posted from one thread run in order.
  // Thread-safe.
  bool post(std::function<void()> f) const;
  // True while the loop runs. Thread-safe.
  bool alive() const;
  // The loop's index in its dispatch_loops group (0 under dispatch(), and for
  // an empty LoopRef).
  std::size_t index() const noexcept;
  // False for a default-constructed LoopRef.
  explicit operator bool() const noexcept { return remote_ != nullptr; }
  // The same loop.
  friend bool operator==(const LoopRef& a, const LoopRef& b) noexcept {
    return a.remote_ == b.remote_;
  }

 private:
  friend LoopRef this_loop();
  friend LoopRef loop_at(std::size_t index);
  explicit LoopRef(std::shared_ptr<detail::Remote> r) : remote_(std::move(r)) {}
  std::shared_ptr<detail::Remote> remote_;
};

// The current thread's loop. Throws std::logic_error outside dispatch().
LoopRef this_loop();

}  // namespace weft
