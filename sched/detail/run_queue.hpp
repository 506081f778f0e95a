#pragma once
// Intrusive FIFO lists of fibers: the run queue (rq_* links) and the loop's
// list of unfinished fibers (live_* links). O(1) push, pop and removal.

#include <cstddef>

#include "sched/detail/fiber.hpp"

namespace weft::detail {

template <Fiber* Fiber::*Next, Fiber* Fiber::*Prev>
class FiberList {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  Fiber* front() const noexcept { return head_; }
  Fiber* back() const noexcept { return tail_; }

  void push_back(Fiber& f) noexcept {
    f.*Next = nullptr;
    f.*Prev = tail_;
    if (tail_) tail_->*Next = &f; else head_ = &f;
    tail_ = &f;
    ++size_;
  }
  void push_front(Fiber& f) noexcept {
    f.*Prev = nullptr;
    f.*Next = head_;
    if (head_) head_->*Prev = &f; else tail_ = &f;
    head_ = &f;
    ++size_;
  }
  Fiber* pop_front() noexcept {
    Fiber* f = head_;
    if (f) remove(*f);
    return f;
  }
  // Precondition: f is in this list.
  void remove(Fiber& f) noexcept {
    if (f.*Prev) f.*Prev->*Next = f.*Next; else head_ = f.*Next;
    if (f.*Next) f.*Next->*Prev = f.*Prev; else tail_ = f.*Prev;
    f.*Next = nullptr;
    f.*Prev = nullptr;
    --size_;
  }

 private:
  Fiber* head_ = nullptr;
  Fiber* tail_ = nullptr;
  std::size_t size_ = 0;
};

using RunQueue = FiberList<&Fiber::rq_next, &Fiber::rq_prev>;
using LiveList = FiberList<&Fiber::live_next, &Fiber::live_prev>;

}  // namespace weft::detail
