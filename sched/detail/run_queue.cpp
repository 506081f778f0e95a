#include "sched/detail/run_queue.hpp"

#include <memory>
#include <utility>

namespace weft::detail {

void RunQueue::grow(std::size_t fibers) {
  std::size_t cap = cap_ == 0 ? 64 : cap_;
  while (cap <= fibers) cap *= 2;
  auto buf = std::make_unique<Fiber*[]>(cap);  // may throw: nothing changed yet
  std::size_t n = 0;
  for (std::size_t pos = head_; pos != tail_; ++pos) {
    if (Fiber* f = buf_[pos & (cap_ - 1)]) {
      f->rq_slot = n;
      buf[n++] = f;
    }
  }
  buf_ = std::move(buf);
  cap_ = cap;
  head_ = 0;
  tail_ = n;
}

void RunQueue::promote_random(std::uint64_t r) noexcept {
  if (next_ != nullptr) return;
  std::size_t at[kShuffleWindow];
  std::size_t n = 0;
  for (std::size_t pos = head_; pos != tail_ && n < kShuffleWindow; ++pos) {
    if (buf_[pos & (cap_ - 1)] != nullptr) at[n++] = pos;
  }
  if (n < 2) return;
  const std::size_t k = static_cast<std::size_t>(r % n);
  if (k == 0) return;
  Fiber*& a = buf_[at[0] & (cap_ - 1)];
  Fiber*& b = buf_[at[k] & (cap_ - 1)];
  std::swap(a, b);
  a->rq_slot = at[0];
  b->rq_slot = at[k];
}

void RunQueue::compact() noexcept {
  // Full, with at least one tombstone (capacity exceeds the live fibers):
  // slide the queued fibers together, in order.
  std::size_t out = head_;
  for (std::size_t pos = head_; pos != tail_; ++pos) {
    Fiber* f = buf_[pos & (cap_ - 1)];
    if (f == nullptr) continue;
    buf_[pos & (cap_ - 1)] = nullptr;
    f->rq_slot = out;
    buf_[out++ & (cap_ - 1)] = f;
  }
  tail_ = out;
}

}  // namespace weft::detail
