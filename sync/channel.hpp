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
// Kill-safe: a value handed to a receiver that is killed before it runs goes
// to the next receiver (or is kept for the next receive()), never lost; a
// sender killed or timed out while parked keeps its value (it was not sent).
// Loop-thread only. Destroying a channel with parked tasklets is an error
// (logged; they stay parked until killed).

#include <deque>
#include <optional>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

template <class T>
class Channel {
 public:
  // A channel with the given preference. Throws std::invalid_argument unless
  // it is -1, 0 or 1.
  explicit Channel(int preference = -1);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Passes `value` to a receiver, parking until one comes. Throws TimeoutError
  // when `timeout` passes first (the value was not sent) and TaskletExit when
  // killed (possibly after the value was passed on, when the sender is made to
  // give way). Parking needs a tasklet (NotInTasklet otherwise); handing to a
  // receiver that is already waiting does not.
  void send(T value, Timeout timeout = weft::current);
  // The value of a sender, parking until one comes. Throws TimeoutError when
  // `timeout` passes first and TaskletExit when killed; parking needs a
  // tasklet (NotInTasklet otherwise).
  T receive(Timeout timeout = weft::current);

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

 private:
  struct SendWait {
    T* value;
    bool taken = false;
  };
  struct RecvWait {
    std::optional<T> slot;
  };

  bool hand_over(T& value);
  std::optional<T> take();
  void rehome(T&& value) noexcept;

  int preference_;
  WaitList senders_;    // data: SendWait*
  WaitList receivers_;  // data: RecvWait*
  std::deque<T> kept_;  // values whose receiver was killed before it could run
};

}  // namespace weft

#include "weft/sync/channel_impl.hpp"
