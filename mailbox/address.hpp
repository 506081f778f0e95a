#pragma once
// Address: the thread-safe way into a tasklet's mailbox.
//
//   weft::Address inbox(worker);                 // on worker's loop thread
//   std::thread t([inbox] { inbox.send(Job{42}); });   // from any thread
//
// A Tasklet handle must not leave its loop's thread (its reference count is
// not atomic); an Address may: it is copyable and every member is
// thread-safe. Messages from one thread arrive in the order that thread sent
// them. The payload is built on the sending thread and destroyed on the
// receiving loop's thread (or, if it is never delivered, on whichever thread
// drops it).

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "weft/mailbox/detail/envelope.hpp"
#include "weft/mailbox/mailbox.hpp"
#include "weft/mailbox/message.hpp"
#include "weft/mailbox/send_result.hpp"
#include "weft/sched/cross_event.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft {

class Address;

namespace detail {
struct RemoteInbox;
bool push_call(const Address& to, Envelope* e, CallSlot& slot) noexcept;
}

class Address {
 public:
  // An empty address (sending through it throws std::logic_error).
  Address() noexcept = default;
  // t's address; creates t's mailbox. Must be called on t's loop thread.
  // Throws std::logic_error for an empty handle or a tasklet of another loop.
  // The address of a finished tasklet is valid but refuses every message.
  explicit Address(const Tasklet& t);

  // Queues `msg` (std::decay_t<M>) for the tasklet and wakes its loop.
  // Never blocks, and is never refused for room: a bounded mailbox can be
  // exceeded by messages from other threads. Returns SendResult::sent, or
  // SendResult::finished, dropping the message, when the tasklet has
  // finished or its loop has ended (a message that races with the tasklet's
  // end may be dropped after `sent` was returned, as it would be had it
  // arrived a moment earlier). Thread-safe.
  template <class M>
  SendResult send(M&& msg) const;

  // Sends `msg` as a call and parks the calling tasklet until the receiver's
  // reply (Message::reply) of type R — the tasklet may be on another loop of
  // dispatch_loops, or on this one. As weft::call: the timeout covers the
  // whole call and a later reply is dropped; the receiver's reply_error comes
  // back as that exception; CallError when the tasklet has finished, finishes
  // or drops the message without replying, or its loop has ended; TimeoutError;
  // TaskletExit when the caller is killed; std::logic_error on a reply of
  // another type, or a call to itself. Must be called from a tasklet.
  template <class R, class M>
  R call(M&& msg, Timeout timeout = weft::current) const;

  // False once the tasklet has finished (or its loop ended). Thread-safe.
  bool alive() const noexcept;
  // False for an empty address.
  explicit operator bool() const noexcept { return inbox_ != nullptr; }
  friend bool operator==(const Address& a, const Address& b) noexcept {
    return a.inbox_ == b.inbox_;
  }

 private:
  friend bool detail::push_call(const Address& to, detail::Envelope* e,
                                detail::CallSlot& slot) noexcept;
  friend std::string dropped_call_reason(const Address& to);
  bool push(detail::Envelope* e) const noexcept;
  std::shared_ptr<detail::RemoteInbox> inbox_;
};

// Why a call through `to` that was settled as dropped (CallSlot::dropped)
// failed: the CallError text Address::call would throw.
std::string dropped_call_reason(const Address& to);

namespace detail {

// The slot of a call through an Address: on the heap, shared by the caller
// and the envelope's side, which keeps it alive (self) until it is settled.
struct CrossCall {
  std::shared_ptr<CrossCall> self;  // the callee side's reference, dropped when settled
  CrossEvent settled;
  std::atomic<bool> abandoned{false};  // the caller gave up (CallSlot::gave_up)
  virtual CallSlot& slot() noexcept = 0;
  virtual ~CrossCall() = default;
};

template <class R>
struct CrossCallOf final : CrossCall, ReplySlot<R> {
  CallSlot& slot() noexcept override { return *this; }
};

// A call through `to` that no tasklet waits for (remote/ serves calls with
// it): pushes `e` (owned from now on) as a call answered into `slot`, whose
// `accept` takes the reply and whose `notify` is called exactly once, on the
// thread that settles it: the callee's loop when it replies, or whichever
// thread drops the message (inside this call when `to` refuses it, which
// returns false). `slot` must live until then. Thread-safe.
bool push_call(const Address& to, Envelope* e, CallSlot& slot) noexcept;

// Pushes `e` as a call through `in` and waits for it to be settled; throws
// as Address::call. Takes ownership of e.
void cross_call(RemoteInbox& in, Envelope* e, const std::shared_ptr<CrossCall>& call,
                Timeout timeout);

}  // namespace detail

template <class R, class M>
R Address::call(M&& msg, Timeout timeout) const {
  static_assert(!std::is_reference_v<R>, "weft: call<R> returns a value; R cannot be a reference");
  static_assert(!std::is_same_v<std::remove_cvref_t<M>, Message>,
                "weft: a Message stays on its loop; call with its payload");
  if (!inbox_) throw std::logic_error("weft: call() through an empty Address");
  auto call = std::make_shared<detail::CrossCallOf<R>>();
  detail::cross_call(*inbox_, detail::make_envelope(std::forward<M>(msg)), call, timeout);
  return call->result();
}

template <class M>
SendResult Address::send(M&& msg) const {
  static_assert(!std::is_same_v<std::remove_cvref_t<M>, Message>,
                "weft: a Message stays on its loop; send its payload through an Address");
  if (!inbox_) throw std::logic_error("weft: send() through an empty Address");
  return push(detail::make_envelope(std::forward<M>(msg))) ? SendResult::sent
                                                           : SendResult::finished;
}

}  // namespace weft
