#pragma once
// A tasklet's mailbox: a FIFO of envelopes, how many messages its owner waits
// for (when it is parked in receive), the senders parked on a full bounded
// mailbox, and the door for other OS threads (made when someone makes an Address).
//
// It lives in the tasklet record's extension slot (TaskletSlot::mailbox): made
// on first use, destroyed when the tasklet finishes. Destroying it drops what
// is queued (a dropped call wakes its caller with an error), wakes the parked
// senders (they see the tasklet finished) and closes the remote door.
//
// Messages are never handed to a parked receiver: they stay queued until the
// owner runs and pops them, so a kill or a timeout at any moment loses none.
// Loop-thread only.

#include <cstddef>
#include <memory>

#include "weft/mailbox/detail/envelope.hpp"
#include "weft/sched/extension.hpp"
#include "weft/sched/wait_list.hpp"
#include "weft/tasklet/extension.hpp"

namespace weft::detail {

struct RemoteInbox;

class MailboxState final : public TaskletExtension {
 public:
  explicit MailboxState(TaskletRecord& owner) noexcept
      : owner_(owner), limit_(owner.mailbox_limit) {}
  ~MailboxState() override;
  MailboxState(const MailboxState&) = delete;
  MailboxState& operator=(const MailboxState&) = delete;

  // r's mailbox, or nullptr when it has none yet.
  static MailboxState* find(TaskletRecord& r) noexcept {
    return find_tasklet_slot<MailboxState>(r, TaskletSlot::mailbox);
  }
  // r's mailbox, made on first use. Precondition: r has not finished.
  static MailboxState& of(TaskletRecord& r) {
    MailboxState* box = find(r);
    return box != nullptr ? *box : make(r);
  }

  TaskletRecord& owner() const noexcept { return owner_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t pending() const noexcept override { return size_; }
  std::size_t limit() const noexcept { return limit_; }
  bool full() const noexcept { return limit_ != 0 && size_ >= limit_; }

  // Appends e (owned from now on) and wakes the owner when it waits for this many.
  void push(Envelope* e) noexcept {
    e->next.store(nullptr, std::memory_order_relaxed);
    if (tail_ != nullptr) {
      tail_->next.store(e, std::memory_order_relaxed);
    } else {
      head_ = e;
    }
    tail_ = e;
    ++size_;
    if (want_ != 0 && size_ >= want_) {
      want_ = 0;
      unpark_on(*owner_.loop, owner_, Wake::ready, true);  // the receiver runs next
    }
  }

  // Removes the oldest envelope (the caller owns it) and, when that made room
  // in a bounded mailbox, wakes a parked sender. Precondition: size() > 0.
  Envelope* pop() noexcept {
    Envelope* e = head_;
    head_ = e->next.load(std::memory_order_relaxed);
    if (head_ == nullptr) tail_ = nullptr;
    --size_;
    if (limit_ != 0 && size_ < limit_ && senders_ && !senders_->empty()) senders_->notify_one();
    return e;
  }

  // The owner parks until `n` messages are pending (Wake::ready: check again),
  // the deadline passes or it is killed. Only the owner receives, so it parks
  // directly (no wait list): push() unparks it.
  // Precondition: the owner is the running tasklet.
  Wake wait_pending(std::size_t n, const Deadline& d) noexcept {
    want_ = n;
    const Wake w = park_on(*owner_.loop, owner_, d, WaitKind::receive, nullptr);
    want_ = 0;
    return w;
  }
  // The owner rests until a message is pending (see rest_on): Wake::none
  // (rest: return to the entry now), Wake::killed.
  Wake rest_pending() noexcept {
    want_ = 1;
    const Wake w = rest_on(*owner_.loop, owner_, Deadline::never(), WaitKind::receive);
    if (w != Wake::none) want_ = 0;
    return w;
  }
  // A sender parks until the mailbox may have room (check again). `place`
  // keeps its turn across waits: a sender woken for room that another sender
  // took first waits again ahead of those who came after it. The list
  // is shared with the waiting senders: when the tasklet finishes, the mailbox
  // goes at once but the list stays until the last sender has left it (a
  // sender woken then killed before it runs still touches it, to pass its
  // wake-up on).
  Wake wait_room(const Deadline& d, WaitList::Place& place) {
    if (!senders_) senders_ = std::make_shared<WaitList>();
    const std::shared_ptr<WaitList> keep = senders_;
    return keep->wait(d, place, nullptr, WaitKind::send, &owner_);
  }

  // The door for other threads, made on first use.
  const std::shared_ptr<RemoteInbox>& remote();

 private:
  static MailboxState& make(TaskletRecord& r);

  TaskletRecord& owner_;
  Envelope* head_ = nullptr;
  Envelope* tail_ = nullptr;
  std::size_t size_ = 0;
  std::size_t limit_;         // SpawnOptions::max_mailbox_len (0: unbounded)
  std::size_t want_ = 0;      // how many the owner, parked in receive, waits for (0: not parked)
  std::shared_ptr<WaitList> senders_;  // senders waiting for room (made on first need)
  std::shared_ptr<RemoteInbox> remote_;
};

}  // namespace weft::detail
