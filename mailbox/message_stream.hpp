#pragma once
// MessageStream: Concurrence's receive() generator as a C++ range.
//
//   for (weft::Message& m : weft::messages()) {   // receives for ever
//     if (m.is<Stop>()) break;
//     ...
//   }
//
// Each step of the loop is one receive(timeout): it parks until a message
// arrives and throws TimeoutError (or TaskletExit) out of the loop like
// receive() does. The loop ends only by break, return or an exception.
// Loop-thread only; iterate from a tasklet.

#include <cstddef>
#include <iterator>

#include "weft/mailbox/mailbox.hpp"

namespace weft {

class MessageStream {
 public:
  // A stream whose every receive waits at most `timeout`.
  explicit MessageStream(Timeout timeout) noexcept : timeout_(timeout) {}

  // Never equal to an iterator: the stream has no end.
  struct Sentinel {};

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Message;
    using difference_type = std::ptrdiff_t;
    using reference = Message&;

    Iterator() noexcept = default;
    // The message received by the last step.
    Message& operator*() const noexcept { return stream_->current_; }
    Message* operator->() const noexcept { return &stream_->current_; }
    // Receives the next message (parks; throws as receive()).
    Iterator& operator++() {
      stream_->current_ = receive(stream_->timeout_);
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const Iterator&, Sentinel) noexcept { return false; }

   private:
    friend class MessageStream;
    explicit Iterator(MessageStream* s) noexcept : stream_(s) {}
    MessageStream* stream_ = nullptr;
  };

  // Receives the first message (parks; throws as receive()).
  Iterator begin() {
    current_ = receive(timeout_);
    return Iterator(this);
  }
  Sentinel end() const noexcept { return {}; }

 private:
  Timeout timeout_;
  Message current_;
};

// The messages of the current tasklet's mailbox, as a range that receives one
// per step, each wait bounded by `timeout`. Must be iterated in a tasklet.
inline MessageStream messages(Timeout timeout = weft::current) { return MessageStream(timeout); }

}  // namespace weft
