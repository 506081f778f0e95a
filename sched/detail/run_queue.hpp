#pragma once
// The loop's fiber containers. The run queue is a ring of fiber pointers: a
// yield is one store and one load, where a linked list costs a dozen pointer
// writes. Removal from the middle (kill of a runnable fiber) leaves a
// tombstone that pops skip. Its capacity is reserved when a fiber is created
// (where throwing is fine): it always exceeds the number of live fibers, so a
// full ring holds a tombstone and is compacted instead of grown, and pushing
// never allocates. The list of unfinished fibers is intrusive (live_* links).

#include <cstddef>
#include <cstdint>
#include <memory>

#include "weft/sched/detail/fiber.hpp"

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

using LiveList = FiberList<&Fiber::live_next, &Fiber::live_prev>;

class RunQueue {
 public:
  RunQueue() = default;
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  // Makes room for `fibers` queued fibers (and a tombstone). May throw std::bad_alloc.
  void reserve(std::size_t fibers) {
    if (fibers >= cap_) grow(fibers);
  }

  // Preconditions: f is not queued; fewer than capacity fibers are queued.
  void push_back(Fiber& f) noexcept {
    if (tail_ - head_ == cap_) compact();
    f.rq_slot = tail_;
    buf_[tail_++ & (cap_ - 1)] = &f;
    ++count_;
  }
  // f runs next. It takes the `next` slot, outside the ring (Go's runnext):
  // a message hop or a reply wakes one fiber first and runs it at once, and
  // the slot makes that a store and a load. A fiber already in the slot
  // moves to the front of the ring, so the order is that of a plain deque.
  void push_front(Fiber& f) noexcept {
    if (next_ != nullptr) ring_push_front(*next_);
    next_ = &f;
    ++count_;
  }
  // The first queued fiber (nullptr when empty); drops leading tombstones.
  Fiber* front() noexcept {
    if (next_ != nullptr) return next_;
    while (head_ != tail_) {
      if (Fiber* f = buf_[head_ & (cap_ - 1)]) return f;
      ++head_;
    }
    return nullptr;
  }
  // Pops the first queued fiber (nullptr when empty) for the loop's pick.
  // One popped from the ring prefetches one turn ahead: the top `lines` cache
  // lines of the stack of the ring's new first fiber, and the first two lines
  // of the record of the one after it, which a wake-up reads and the next pick
  // takes the stack pointer from (see fiber.hpp). One taken from the `next`
  // slot prefetches nothing: the ring's first was prefetched when it became
  // first (a pop) or when it was woken (make_runnable).
  [[gnu::always_inline]] Fiber* take(int lines) noexcept {
    if (Fiber* f = next_) {
      next_ = nullptr;
      --count_;
      return f;
    }
    Fiber** const buf = buf_.get();
    const std::size_t mask = cap_ - 1;
    const std::size_t tail = tail_;
    std::size_t head = head_;
    for (; head != tail; ++head) {
      Fiber* f = buf[head & mask];
      if (f == nullptr) continue;  // a tombstone
      buf[head & mask] = nullptr;
      head_ = ++head;
      --count_;
      prefetch_ring(head, tail, mask, lines);
      return f;
    }
    head_ = head;
    return nullptr;
  }
  // Precondition: f == front().
  void pop_front(Fiber& f) noexcept {
    if (&f == next_) {
      next_ = nullptr;
    } else {
      buf_[head_++ & (cap_ - 1)] = nullptr;
    }
    --count_;
  }
  Fiber* pop_front() noexcept {
    Fiber* f = front();
    if (f != nullptr) pop_front(*f);
    return f;
  }
  // Seeded scheduling (Loop::take_next): swaps the ring's first fiber with one
  // of the first kShuffleWindow chosen by `r`. A fiber in the `next` slot (woken
  // to run next) keeps its turn.
  void promote_random(std::uint64_t r) noexcept;
  static constexpr std::size_t kShuffleWindow = 8;

  // f, queued, becomes the next to run: remove(f) then push_front(f), without
  // counting it out and in. (At the ring's head it still moves to next_,
  // which a seeded order's shuffle leaves alone.)
  void move_to_front(Fiber& f) noexcept {
    if (&f == next_) return;
    buf_[f.rq_slot & (cap_ - 1)] = nullptr;
    if (f.rq_slot == head_) ++head_;
    if (next_ != nullptr) ring_push_front(*next_);
    next_ = &f;
  }
  // Precondition: f is queued. A fiber at the ring's head (a join of the
  // oldest spawned tasklet) leaves no tombstone: the head moves past it.
  void remove(Fiber& f) noexcept {
    if (&f == next_) {
      next_ = nullptr;
    } else {
      buf_[f.rq_slot & (cap_ - 1)] = nullptr;
      if (f.rq_slot == head_) ++head_;
    }
    --count_;
  }

 private:
  void ring_push_front(Fiber& f) noexcept {
    if (tail_ - head_ == cap_) compact();
    f.rq_slot = --head_;
    buf_[head_ & (cap_ - 1)] = &f;
  }
  // Tombstones count as fibers: a few prefetches fewer, never a wrong address.
  [[gnu::always_inline]] void prefetch_ring(std::size_t head, std::size_t tail, std::size_t mask,
                                            int lines) const noexcept {
    Fiber* const* const buf = buf_.get();
    if (head == tail) return;
    if (const Fiber* f = buf[head & mask]) prefetch_stack(*f, lines);
    if (head + 1 != tail) {
      if (const Fiber* g = buf[(head + 1) & mask]) {
        __builtin_prefetch(g);
        __builtin_prefetch(reinterpret_cast<const char*>(g) + 64);
      }
    }
  }
  void compact() noexcept;
  void grow(std::size_t fibers);

  Fiber* next_ = nullptr;  // runs before the ring's head (see push_front)
  std::unique_ptr<Fiber*[]> buf_;
  std::size_t cap_ = 0;   // a power of two (or 0)
  std::size_t head_ = 0;  // free-running positions: the ring index is `pos & (cap_ - 1)`
  std::size_t tail_ = 0;
  std::size_t count_ = 0;  // queued fibers, `next_` included (tombstones excluded)
};

}  // namespace weft::detail
