#pragma once
// SendResult: what send(), try_send() and Address::send() did with a message.
//
//   if (!weft::send(t, Ping{})) ...               // not delivered (as a bool)
//   switch (weft::try_send(t, Ping{}).status()) {
//     case weft::SendResult::sent: ...
//     case weft::SendResult::full: ...            // try_send only: no room now
//     case weft::SendResult::finished: ...        // t has finished: never will
//   }
//
// A message that was not sent was dropped (destroyed) by the call.

#include "weft/sched/config.hpp"

#include <cstdint>

namespace weft {

class SendResult {
 public:
  enum Status : std::uint8_t {
    sent,      // in the tasklet's mailbox
    full,      // try_send(): the bounded mailbox had no room (a later send may succeed)
    finished,  // the tasklet has finished (for an Address: or its loop has ended)
  };

  constexpr SendResult(Status s) noexcept : status_(s) {}  // NOLINT: implicit by design

  constexpr Status status() const noexcept { return status_; }
  // True when the message is in the mailbox.
  constexpr bool ok() const noexcept { return status_ == sent; }
  constexpr explicit operator bool() const noexcept { return ok(); }
  // True when try_send() found the bounded mailbox full.
  constexpr bool is_full() const noexcept { return status_ == full; }
  // True when the tasklet has finished: no message will ever reach it.
  constexpr bool is_finished() const noexcept { return status_ == finished; }
  // "sent", "mailbox full", "tasklet finished".
  constexpr const char* describe() const noexcept {
    return status_ == sent ? "sent" : status_ == full ? "mailbox full" : "tasklet finished";
  }

  friend constexpr bool operator==(SendResult, SendResult) noexcept = default;

 private:
  Status status_;
};

}  // namespace weft
