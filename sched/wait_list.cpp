#include "sched/wait_list.hpp"

#include <string>

#include "sched/detail/loop.hpp"
#include "sched/log.hpp"

namespace weft {

struct WaitList::Node {
  Node* next = nullptr;
  Node* prev = nullptr;
  detail::Fiber* fiber = nullptr;
  void* data = nullptr;
  bool linked = false;
  bool notified = false;
};

WaitList::~WaitList() {
  if (head_ == nullptr) return;
  // Waiters normally unlink themselves before the list dies. If a list dies
  // with waiters (its owner was destroyed under them), detach them so their
  // RAII unlink does not touch freed memory; they stay parked until killed.
  for (Node* n = head_; n != nullptr; n = n->next) n->linked = false;
  log(LogLevel::error, "a wait list was destroyed with " + std::to_string(size_) +
                           " tasklet(s) parked on it; they stay parked until killed");
}

void WaitList::link(Node& n) noexcept {
  n.prev = tail_;
  n.next = nullptr;
  if (tail_ != nullptr) tail_->next = &n; else head_ = &n;
  tail_ = &n;
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
  Node n;
  n.fiber = detail::Loop::current()->running();
  n.data = data;
  link(n);
  Wake w = park(d);
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
  unpark(*n->fiber, Wake::ready, first);
  return true;
}

std::size_t WaitList::notify_all() noexcept {
  std::size_t count = 0;
  while (notify_one()) ++count;
  return count;
}

void* WaitList::front_data() const noexcept { return head_ == nullptr ? nullptr : head_->data; }

}  // namespace weft
