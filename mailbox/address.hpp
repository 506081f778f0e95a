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

#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "weft/mailbox/detail/envelope.hpp"
#include "weft/mailbox/message.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft {

namespace detail {
struct RemoteInbox;
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
  // exceeded by messages from other threads. Returns false, dropping the
  // message, when the tasklet has finished or its loop has ended (a message
  // that races with the tasklet's end may be dropped after true was
  // returned, as it would be had it arrived a moment earlier). Thread-safe.
  template <class M>
  bool send(M&& msg) const;

  // False once the tasklet has finished (or its loop ended). Thread-safe.
  bool alive() const noexcept;
  // False for an empty address.
  explicit operator bool() const noexcept { return inbox_ != nullptr; }
  friend bool operator==(const Address& a, const Address& b) noexcept {
    return a.inbox_ == b.inbox_;
  }

 private:
  bool push(detail::Envelope* e) const noexcept;
  std::shared_ptr<detail::RemoteInbox> inbox_;
};

template <class M>
bool Address::send(M&& msg) const {
  static_assert(!std::is_same_v<std::remove_cvref_t<M>, Message>,
                "weft: a Message stays on its loop; send its payload through an Address");
  if (!inbox_) throw std::logic_error("weft: send() through an empty Address");
  return push(detail::make_envelope(std::forward<M>(msg)));
}

}  // namespace weft
