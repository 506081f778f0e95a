#pragma once
// Channel<T>: a rendezvous between tasklets (Stackless / Concurrence channel).
//
// send() waits for a receiver and receive() for a sender; the value passes
// directly from one to the other. When both meet, the channel's preference
// decides who runs first, as in Stackless:
//   -1 (default) the receiver: it runs next and the sender goes to the back of
//      the run queue (if the sender came second, it keeps running);
//    1 the sender, symmetrically;
//    0 neither: whoever came second keeps running, the other is queued at the back.
//
//   weft::Channel<int> ch;
//   auto t = weft::Tasklet::spawn([&] { ch.send(42); });
//   int v = ch.receive(2.0);
//
// As in Concurrence (and Stackless), a sender can pass an exception instead
// of a value (send_exception: the receiver's receive() throws it), a channel
// can be closed (close(): no more sends), and a receiver can take values in a
// loop until it is closed:
//
//   for (int v : ch) use(v);                     // receive() until close()
//   for (int v : ch.receive_n(3, 2.0)) use(v);   // at most 3, all within 2 s
//
// Kill-safe: a value handed to a receiver that is killed before it runs goes
// to the next receiver (or is kept for the next receive()), never lost; a
// sender killed or timed out while parked keeps its value (it was not sent).
// Loop-thread only. Destroying a channel with parked tasklets is an error
// (logged; they stay parked until killed).

#include <cstddef>
#include <deque>
#include <exception>
#include <iterator>
#include <optional>
#include <type_traits>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"
#include "weft/sync/channel_closed.hpp"

namespace weft {

template <class T>
class Channel {
 public:
  // A channel with the given preference. Throws std::invalid_argument unless
  // it is -1, 0 or 1.
  explicit Channel(int preference = -1);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  class Iterator;
  class Batch;

  // Passes `value` to a receiver, parking until one comes. Throws TimeoutError
  // when `timeout` passes first (the value was not sent) and TaskletExit when
  // killed (possibly after the value was passed on, when the sender is made to
  // give way). Parking needs a tasklet (NotInTasklet otherwise); handing to a
  // receiver that is already waiting does not. Throws ChannelClosed (the
  // value is not sent) once the channel is closed.
  void send(T value, Timeout timeout = weft::current);
  // Passes an exception instead of a value (Concurrence's send_exception):
  // the receive() that takes it throws `error`. Otherwise as send(). Throws
  // std::invalid_argument when error is null.
  void send_exception(std::exception_ptr error, Timeout timeout = weft::current);
  // send_exception(std::make_exception_ptr(error), timeout).
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  void send_exception(E&& error, Timeout timeout = weft::current) {
    send_exception(std::make_exception_ptr(std::forward<E>(error)), timeout);
  }
  // The value of a sender, parking until one comes (or throws what it passed
  // to send_exception). Throws TimeoutError when `timeout` passes first,
  // TaskletExit when killed, and ChannelClosed when the channel is closed and
  // no value is left; parking needs a tasklet (NotInTasklet otherwise).
  T receive(Timeout timeout = weft::current);

  // Closes the channel (Stackless's close): every send() from now on throws
  // ChannelClosed. Senders already parked still hand over their values; once
  // they have, receive() throws ChannelClosed, tasklets parked in receive()
  // are woken to do so, and a range-for over the channel ends. Idempotent.
  void close();
  // True once close() was called (values of parked senders may remain).
  bool closed() const noexcept { return closed_; }

  // receive() until the channel is closed (and drained): `for (T v : ch)`.
  // Each step obeys the deadline scope around the loop (TimeoutError); an
  // exception passed by send_exception, TaskletExit and TimeoutError leave
  // the loop from its head. begin() receives the first value; it must be
  // called in a tasklet.
  Iterator begin();
  std::default_sentinel_t end() const noexcept { return {}; }
  // At most `n` values, each received when the loop asks for the next
  // (Concurrence's receive_n): `for (T v : ch.receive_n(3, 2.0))`. One
  // deadline, `timeout` from this call, covers all n (TimeoutError); the loop
  // ends early when the channel is closed. Must be called in a tasklet.
  Batch receive_n(std::size_t n, Timeout timeout = weft::current);

  // True while a tasklet is parked in send() (Concurrence's balance > 0).
  bool has_sender() const noexcept { return !senders_.empty(); }
  // True while a tasklet is parked in receive() (balance < 0).
  bool has_receiver() const noexcept { return !receivers_.empty(); }
  // Parked senders minus parked receivers.
  long balance() const noexcept {
    return static_cast<long>(senders_.size()) - static_cast<long>(receivers_.size());
  }
  // Who runs first when a sender and a receiver meet: -1, 0 or 1 (see above).
  int preference() const noexcept { return preference_; }
  // Changes the preference. Throws std::invalid_argument unless p is -1, 0 or 1.
  void set_preference(int p);

  // An input iterator over received values (see begin() and receive_n()):
  // ++ receives the next one; it equals end() once the channel is closed or
  // the batch is complete. Move-only.
  class Iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;

    Iterator(Iterator&&) noexcept = default;
    Iterator& operator=(Iterator&&) noexcept = default;

    T& operator*() const noexcept { return *value_; }
    T* operator->() const noexcept { return &*value_; }
    Iterator& operator++() {
      next();
      return *this;
    }
    void operator++(int) { next(); }
    friend bool operator==(const Iterator& i, std::default_sentinel_t) noexcept {
      return !i.value_.has_value();
    }

   private:
    friend class Channel;
    Iterator(Channel& ch, std::size_t left, const Deadline& d) : ch_(&ch), left_(left), d_(d) {
      next();
    }
    void next();

    Channel* ch_;
    std::size_t left_;  // values still to receive
    Deadline d_;
    mutable std::optional<T> value_;  // the current value; empty at the end
  };

  // What receive_n() returns: a range of at most n received values.
  class Batch {
   public:
    Iterator begin() { return Iterator(*ch_, n_, d_); }
    std::default_sentinel_t end() const noexcept { return {}; }

   private:
    friend class Channel;
    Batch(Channel& ch, std::size_t n, const Deadline& d) : ch_(&ch), n_(n), d_(d) {}
    Channel* ch_;
    std::size_t n_;
    Deadline d_;
  };

 private:
  // A received value, or the exception of a send_exception.
  struct Item {
    explicit Item(T&& v) : value(std::move(v)) {}
    explicit Item(const std::exception_ptr& e) : error(e) {}
    std::optional<T> value;
    std::exception_ptr error;
  };
  // What a sender offers: its value (in its own frame), or an exception.
  struct Outgoing {
    T* value;  // nullptr: `error`
    std::exception_ptr error;
  };
  struct SendWait {
    Outgoing* out;
    bool taken = false;
  };
  struct RecvWait {
    std::optional<Item> slot;
  };

  void send_item(Outgoing out, Timeout timeout);
  // An item, or nothing once the channel is closed and drained.
  std::optional<Item> receive_item(const Deadline& d);
  static T unwrap(Item&& item);
  bool hand_over(Outgoing& out);
  std::optional<Item> take();
  void rehome(Item&& item) noexcept;

  int preference_;
  bool closed_ = false;
  WaitList senders_;       // data: SendWait*
  WaitList receivers_;     // data: RecvWait*
  std::deque<Item> kept_;  // items whose receiver was killed before it could run
};

}  // namespace weft

#include "weft/sync/channel_impl.hpp"
