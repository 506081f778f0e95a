#include "mailbox/detail/remote_inbox.hpp"

#include "mailbox/detail/mailbox_state.hpp"
#include "sched/extension.hpp"

namespace weft::detail {

namespace {

void free_chain(Envelope* e) noexcept {
  while (e != nullptr) {
    Envelope* next = e->next.load(std::memory_order_relaxed);
    free_envelope(e);
    e = next;
  }
}

}  // namespace

RemoteInbox::~RemoteInbox() { free_chain(head.exchange(nullptr, std::memory_order_acquire)); }

bool RemoteInbox::push(Envelope* e) noexcept {
  if (closed.load(std::memory_order_acquire)) {
    free_envelope(e);
    return false;
  }
  if (current_loop() == loop_id) {
    // On the owner's own thread: straight into the mailbox (box is only
    // cleared together with `closed`, on this thread).
    box->push(e);
    return true;
  }
  Envelope* old = head.load(std::memory_order_relaxed);
  do {
    e->next.store(old, std::memory_order_relaxed);
  } while (!head.compare_exchange_weak(old, e, std::memory_order_release,
                                       std::memory_order_relaxed));
  if (old != nullptr) return true;  // a drain is already on its way
  bool posted = false;
  try {
    posted = loop.post([self = shared_from_this()] { self->drain(); });
  } catch (...) {  // out of memory for the posted function
  }
  if (!posted) {
    // The loop has ended (or the drain could not be queued): nothing will
    // take what is here. Close, and free what this thread can still take.
    closed.store(true, std::memory_order_release);
    free_chain(head.exchange(nullptr, std::memory_order_acquire));
    return false;
  }
  return true;
}

void RemoteInbox::drain() noexcept {
  Envelope* e = head.exchange(nullptr, std::memory_order_acquire);
  Envelope* fifo = nullptr;  // reversed: oldest first
  while (e != nullptr) {
    Envelope* next = e->next.load(std::memory_order_relaxed);
    e->next.store(fifo, std::memory_order_relaxed);
    fifo = e;
    e = next;
  }
  if (box == nullptr) {
    free_chain(fifo);
    return;
  }
  while (fifo != nullptr) {
    Envelope* next = fifo->next.load(std::memory_order_relaxed);
    box->push(fifo);
    fifo = next;
  }
}

void RemoteInbox::close() noexcept {
  closed.store(true, std::memory_order_release);
  box = nullptr;
  free_chain(head.exchange(nullptr, std::memory_order_acquire));
}

}  // namespace weft::detail
