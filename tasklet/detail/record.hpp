#pragma once
// The tasklet record: a Fiber plus what the tasklet layer keeps per tasklet.
// Allocated at spawn (from the loop's RecordPool) with its body -- the callable
// and its result, see spawn.hpp -- right after it in the same block;
// reference-counted by handles (and by the loop while the tasklet is
// unfinished). Loop-thread only.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <typeinfo>

#include "weft/sched/broadcast_list.hpp"
#include "weft/sched/extension.hpp"
#include "weft/tasklet/detail/spawn.hpp"

namespace weft::detail {

struct TaskletRecord : Fiber {
  TaskletRecord() = default;
  TaskletRecord(const TaskletRecord&) = delete;
  TaskletRecord& operator=(const TaskletRecord&) = delete;
  // Logs a failure nobody observed (see Tasklet's "never joined" rule) and
  // destroys the body. Records go through release_record(), not delete.
  ~TaskletRecord();

  // It has finished, or finish() has begun (Fiber::ending): its mailbox is gone or going.
  bool gone() const noexcept { return ending || state == FiberState::finished; }

  static constexpr std::uint8_t kNoSpare = 0xff;
  std::uint32_t refs = 0;     // handles, plus one held by the loop until it finishes
  bool observed = false;      // a join saw how it ended: no "never joined" log
  std::uint8_t block_align_log2 = 0;  // its block came from the aligned heap (0: the pool)
  // Its block's RecordPool size class (kNoSpare: none, never spare). finish()
  // sets kNoSpare when the record holds more than its body, and so does a
  // name given later: a release then tests this one byte (see release_record).
  std::uint8_t spare_class = kNoSpare;
  bool is_main = false;       // dispatch()'s main tasklet (its end may be reported: see Report)
  TaskletBody* body = nullptr;  // in the same block, right after the record
  std::uint64_t id = 0;
  std::string name;           // empty until given or first derived (lazily)
  const std::type_info* fn_type = nullptr;  // for the derived name
  TaskletRecord* parent = nullptr;          // non-owning; cleared when either finishes
  TaskletRecord* first_child = nullptr;     // live children, in spawn order
  TaskletRecord* last_child = nullptr;
  TaskletRecord* next_sibling = nullptr;
  TaskletRecord* prev_sibling = nullptr;
  // Who waits for it to finish (joiners, TaskGroup). finish() wakes them
  // all, the oldest first (it runs next). Most tasklets have one joiner at a
  // time, which waits in the list itself (see BroadcastList).
  BroadcastList joiners;
  std::exception_ptr error;   // set when it failed (TaskletExit included)
  std::size_t mailbox_limit = 0;

  // True when it holds nothing but its body, in a block of the pool (see below).
  bool holds_nothing() const noexcept;
  // Puts back what a life may change (see below).
  void reset_for_reuse() noexcept;
};

// The one test of a record's release: no extension slot (finish reset them),
// no name (a name is never cleared, so an empty one never had a heap buffer),
// no error, no waiter, a block from the pool (not the aligned heap). Then
// ~TaskletRecord's member destructors would do nothing, and those fields
// already hold what a new record holds. Most records end so.
inline bool TaskletRecord::holds_nothing() const noexcept {
  const std::uintptr_t held =
      reinterpret_cast<std::uintptr_t>(ext[0].get()) |
      reinterpret_cast<std::uintptr_t>(ext[1].get()) | name.size() |
      static_cast<std::uintptr_t>(static_cast<bool>(error)) |
      static_cast<std::uintptr_t>(!joiners.empty()) | block_align_log2;
  return held == 0;
}

// A finished record that holds_nothing() is kept constructed for the next
// spawn of its size class (a spare). When that spawn takes it, Fiber's part
// of the reset runs (fiber.hpp; the rest ran when the fiber ended), then the
// fields here a tasklet's life may have changed go back to their defaults
// above. Not stored here: what every spawn sets (refs, body, fn_type, id),
// its block's (block_align_log2, spare_class), what holds_nothing() tested,
// and the tree links (finish detached it).
inline void TaskletRecord::reset_for_reuse() noexcept {
  Fiber::reset_for_reuse();
  observed = false;
  is_main = false;
  mailbox_limit = 0;
}

// A field added to TaskletRecord fails this until reset_for_reuse is reviewed
// for it (then update the size). Checked where the size is known: LP64, libstdc++.
#if defined(__GLIBCXX__) && __SIZEOF_POINTER__ == 8
static_assert(sizeof(TaskletRecord) == 376,
              "a field was added to TaskletRecord: update TaskletRecord::reset_for_reuse");
#endif

// Drops one reference; the last one destroys the record and frees its block.
void release_record(TaskletRecord& r) noexcept;

}  // namespace weft::detail
