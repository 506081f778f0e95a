#include "sched/detail/timer_heap.hpp"

namespace weft::detail {

namespace {
constexpr std::size_t kArity = 4;
}

void TimerHeap::arm(TimerNode& n, std::int64_t deadline) {
  if (n.armed()) disarm(n);
  n.deadline = deadline;
  n.seq = next_seq_++;
  Entry e{deadline, n.seq, &n};
  heap_.push_back(e);  // may throw bad_alloc before anything changed
  sift_up(heap_.size() - 1, e);
}

void TimerHeap::remove(TimerNode& n) noexcept {
  std::size_t i = n.index;
  n.index = TimerNode::kUnarmed;
  remove_at(i);
}

TimerNode* TimerHeap::pop_expired(std::int64_t now, std::uint64_t seq_limit) noexcept {
  if (heap_.empty() || heap_.front().deadline > now || heap_.front().seq >= seq_limit) {
    return nullptr;
  }
  TimerNode* n = heap_.front().node;
  n->index = TimerNode::kUnarmed;
  remove_at(0);
  return n;
}

void TimerHeap::remove_at(std::size_t i) noexcept {
  Entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;  // removed the last slot
  if (i > 0 && last.before(heap_[(i - 1) / kArity])) {
    sift_up(i, last);
  } else {
    sift_down(i, last);
  }
}

void TimerHeap::sift_up(std::size_t i, Entry e) noexcept {
  while (i > 0) {
    std::size_t parent = (i - 1) / kArity;
    if (!e.before(heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void TimerHeap::sift_down(std::size_t i, Entry e) noexcept {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t first = i * kArity + 1;
    if (first >= n) break;
    std::size_t best = first;
    std::size_t end = first + kArity < n ? first + kArity : n;
    for (std::size_t c = first + 1; c < end; ++c) {
      if (heap_[c].before(heap_[best])) best = c;
    }
    if (!heap_[best].before(e)) break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, e);
}

}  // namespace weft::detail
