#pragma once
// Extension API: a FIFO list of parked tasklets, the building block of every
// primitive (join, Event, Lock, Queue, mailboxes...).
//
// Each waiter is a node on its own tasklet's stack, unlinked by RAII however the
// wait ends, so a kill or a timeout never leaves a waiter behind. A notification
// that reaches a waiter which then times out or is killed before it runs is
// passed on to the next waiter, so no wake-up is ever lost.

#include "weft/sched/config.hpp"

#include <cstddef>
#include <cstdint>

#include "weft/sched/park.hpp"

namespace weft {

class WaitList {
 public:
  // A waiter's place in the line, kept across waits on one list (see the
  // second wait()). A fresh Place has none yet.
  class Place {
   public:
    Place() = default;

   private:
    friend class WaitList;
    const WaitList* list_ = nullptr;  // the list it was given a place in
    std::uint64_t ticket_ = 0;        // its place there: lower is earlier
  };

  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  // Precondition: no waiters (they live on tasklet stacks that outlive the wait).
  ~WaitList() {
    if (head_ != nullptr) detach_waiters();
  }

  // Parks the current tasklet at the back of the list until notified or the
  // deadline passes. `data` is handed to the notifier (front_data()). Returns
  // Wake::ready when notified, otherwise timed_out or killed (never throws).
  // Must be called in a tasklet.
  Wake wait(const Deadline& d, void* data = nullptr) noexcept;
  // wait() that keeps the caller's place: the first wait with `place` joins
  // at the back; a later one (the caller was notified, but what it waited for
  // was taken before it ran) goes back ahead of everyone who joined after it,
  // so a waiter that loses a race never loses its turn. A Place given a
  // place on another list joins this one at the back.
  Wake wait(const Deadline& d, Place& place, void* data = nullptr) noexcept;
  // wait(d) that says what the tasklet waits on (see WaitKind).
  Wake wait(const Deadline& d, WaitKind kind, const void* on) noexcept;
  // wait(d, place, data) that says what the tasklet waits on (see WaitKind;
  // the other forms say WaitKind::other, on this list).
  Wake wait(const Deadline& d, Place& place, void* data, WaitKind kind, const void* on) noexcept;

  // Wakes the oldest waiter (it runs later, in run-queue order, or next when
  // `first`). Returns false when there was none.
  bool notify_one(bool first = false) noexcept;
  // Wakes every waiter; returns how many.
  std::size_t notify_all() noexcept;

  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  // The `data` of the oldest waiter, or nullptr when empty.
  void* front_data() const noexcept;

 private:
  struct Node;
  void link(Node& n) noexcept;
  void unlink(Node& n) noexcept;
  // The destructor's error path: the waiters left are detached and logged.
  void detach_waiters() noexcept;

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  std::size_t size_ = 0;  // the list is kept in ticket order (see wait_list.cpp)
};

}  // namespace weft
