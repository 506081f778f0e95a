#pragma once
// The thread-safe door into one mailbox.
//
// Senders on other threads push envelopes onto a lock-free stack (one CAS);
// the sender whose push found the stack empty posts one drain to the loop
// (LoopRef::post, which wakes it through the loop's eventfd). The drain, on the loop
// thread, takes the whole stack with one exchange, reverses it (so each
// thread's messages keep their order) and appends it to the mailbox. So a
// burst of messages costs one wake-up and one posted function, not one each.
//
// Shared by the mailbox and every Address; outlives both as needed. When the
// mailbox goes (its tasklet finished) the door closes: later sends return
// false, and whatever raced past the check is freed by the next drain or by
// the destructor (on whichever thread drops the last reference).

#include <atomic>
#include <memory>
#include <string>

#include "weft/mailbox/detail/envelope.hpp"
#include "weft/sched/loop.hpp"

namespace weft::detail {

class Loop;
class MailboxState;

struct RemoteInbox : std::enable_shared_from_this<RemoteInbox> {
  RemoteInbox(LoopRef ref, const Loop* id, MailboxState* mailbox, std::string owner_name)
      : loop(std::move(ref)), loop_id(id), box(mailbox), owner(std::move(owner_name)) {}
  ~RemoteInbox();
  RemoteInbox(const RemoteInbox&) = delete;
  RemoteInbox& operator=(const RemoteInbox&) = delete;

  // Thread-safe: queues e for the mailbox (owned from now on). False, with e
  // freed, when the door is closed.
  bool push(Envelope* e) noexcept;
  // Loop thread: moves what is queued into the mailbox (frees it when closed).
  void drain() noexcept;
  // Loop thread: the mailbox is going; frees what is queued.
  void close() noexcept;

  std::atomic<Envelope*> head{nullptr};  // newest first
  std::atomic<bool> closed{false};
  const LoopRef loop;                    // where drains are posted
  const Loop* const loop_id;             // the owner's loop (same-thread fast path)
  MailboxState* box;                     // loop thread only; nullptr once closed
  const std::string owner;               // "tasklet 'name'", for messages on any thread
};

}  // namespace weft::detail
