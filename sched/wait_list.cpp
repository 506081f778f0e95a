#include "sched/wait_list.hpp"

#include <string>

#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"
#include "sched/log.hpp"

namespace weft {

namespace {
// Tickets come from one counter per thread rather than per list: a list is
// used on one loop thread only, so they still grow in the order waiters
// arrive, and every WaitList (one in each tasklet record) stays 8 bytes smaller.
thread_local constinit std::uint64_t tls_last_ticket = 0;
}  // namespace

struct WaitList::Node {
  Node* next = nullptr;
  Node* prev = nullptr;
  detail::Fiber* fiber = nullptr;
  void* data = nullptr;
  std::uint64_t ticket = 0;
  bool linked = false;
  bool notified = false;
};

void WaitList::detach_waiters() noexcept {
  // Waiters normally unlink themselves before the list dies. If a list dies
  // with waiters (its owner was destroyed under them), detach them so their
  // RAII unlink does not touch freed memory; they stay parked until killed.
  for (Node* n = head_; n != nullptr; n = n->next) n->linked = false;
  log(LogLevel::error, "a wait list was destroyed with " + std::to_string(size_) +
                           " tasklet(s) parked on it; they stay parked until killed");
}

void WaitList::link(Node& n) noexcept {
  // Before the first waiter that came later: a new waiter's place is the
  // back (O(1)); a returning one's is near the front.
  Node* after = nullptr;
  if (tail_ != nullptr && tail_->ticket > n.ticket) {
    after = head_;
    while (after->ticket < n.ticket) after = after->next;
  }
  n.next = after;
  n.prev = after != nullptr ? after->prev : tail_;
  if (n.prev != nullptr) n.prev->next = &n; else head_ = &n;
  if (after != nullptr) after->prev = &n; else tail_ = &n;
  n.linked = true;
  ++size_;
}

void WaitList::unlink(Node& n) noexcept {
  if (n.prev != nullptr) n.prev->next = n.next; else head_ = n.next;
  if (n.next != nullptr) n.next->prev = n.prev; else tail_ = n.prev;
  n.next = n.prev = nullptr;
  n.linked = false;
  --size_;
}

Wake WaitList::wait(const Deadline& d, void* data) noexcept {
  Place place;
  return wait(d, place, data);
}

Wake WaitList::wait(const Deadline& d, WaitKind kind, const void* on) noexcept {
  Place place;
  return wait(d, place, nullptr, kind, on);
}

Wake WaitList::wait(const Deadline& d, Place& place, void* data) noexcept {
  return wait(d, place, data, WaitKind::other, this);
}

Wake WaitList::wait(const Deadline& d, Place& place, void* data, WaitKind kind,
                    const void* on) noexcept {
  if (place.list_ != this || place.ticket_ == 0) {
    place.list_ = this;
    place.ticket_ = ++tls_last_ticket;
  }
  Node n;
  n.fiber = detail::current_loop()->running();
  n.data = data;
  n.ticket = place.ticket_;
  link(n);
  Wake w = park(d, kind, on);
  if (n.linked) unlink(n);
  // Notified, but timed out or killed before it could act: pass it on.
  if (n.notified && w != Wake::ready) notify_one();
  return w;
}

bool WaitList::notify_one(bool first) noexcept {
  Node* n = head_;
  if (n == nullptr) return false;
  unlink(*n);
  n->notified = true;
  detail::unpark_on(*detail::current_loop(), *n->fiber, Wake::ready, first);
  return true;
}

std::size_t WaitList::notify_all() noexcept {
  std::size_t count = 0;
  while (notify_one()) ++count;
  return count;
}

void* WaitList::front_data() const noexcept { return head_ == nullptr ? nullptr : head_->data; }

}  // namespace weft
