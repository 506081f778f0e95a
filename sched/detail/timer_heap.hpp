#pragma once
// The loop's deadlines: a 4-ary min-heap of intrusive nodes, ordered by
// (deadline, sequence) so that equal deadlines fire in the order they were armed.
// Every parked tasklet with a deadline owns one node (inside its fiber record);
// a Timer owns one too. Removal is O(log n) through the index kept in the node,
// which matters because most deadlines are cancelled (the wait succeeded first).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::detail {

struct TimerNode {
  std::uint32_t index = kUnarmed;  // position in the heap, kUnarmed when not armed
                                   // (first: disarm() reads it on every park and wake)
  std::int64_t deadline = 0;       // loop clock, ns
  std::uint64_t seq = 0;           // tie-break: arming order
  void (*fire)(TimerNode&) = nullptr;  // called by the loop when the deadline passes

  static constexpr std::uint32_t kUnarmed = 0xffffffffu;
  bool armed() const noexcept { return index != kUnarmed; }
};

class TimerHeap {
 public:
  // Arms `n` (disarming it first if needed) to fire at `deadline`.
  void arm(TimerNode& n, std::int64_t deadline);
  // Disarms `n`; no-op when not armed.
  void disarm(TimerNode& n) noexcept {
    if (n.armed()) remove(n);  // inline: every park and wake asks, few are armed
  }
  // The earliest armed node, or nullptr.
  TimerNode* top() const noexcept { return heap_.empty() ? nullptr : heap_.front().node; }
  // Pops and returns the earliest node if its deadline is <= now and it was
  // armed before sequence number `seq_limit`, else nullptr.
  TimerNode* pop_expired(std::int64_t now, std::uint64_t seq_limit = UINT64_MAX) noexcept;
  // The sequence number the next arm() will use.
  std::uint64_t next_seq() const noexcept { return next_seq_; }
  std::size_t size() const noexcept { return heap_.size(); }
  // How many armed nodes satisfy `pred` (O(size): for statistics).
  template <class Pred>
  std::size_t count_if(Pred pred) const {
    std::size_t n = 0;
    for (const Entry& e : heap_) n += pred(*e.node) ? 1 : 0;
    return n;
  }
  bool empty() const noexcept { return heap_.empty(); }

 private:
  struct Entry {
    std::int64_t deadline;
    std::uint64_t seq;
    TimerNode* node;
    bool before(const Entry& o) const noexcept {
      return deadline < o.deadline || (deadline == o.deadline && seq < o.seq);
    }
  };
  void place(std::size_t i, const Entry& e) noexcept {
    heap_[i] = e;
    e.node->index = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i, Entry e) noexcept;
  void sift_down(std::size_t i, Entry e) noexcept;
  void remove_at(std::size_t i) noexcept;
  // Takes armed `n` out of the heap (disarm's slow path).
  void remove(TimerNode& n) noexcept;

  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace weft::detail
